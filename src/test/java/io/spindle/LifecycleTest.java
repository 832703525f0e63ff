package io.spindle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LifecycleTest {
    private static final Duration LONG = Duration.ofSeconds(5);

    private final Logger lifecycleLog = Logger.getLogger(Lifecycle.class.getName());
    private final List<String> logLines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logLines.add(record.getLevel() + " " + record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLog() {
        lifecycleLog.addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        lifecycleLog.removeHandler(capture);
    }

    @Test
    void closesResourcesInReverseOrderOfRegistration() {
        List<String> closed = new CopyOnWriteArrayList<>();
        Lifecycle lifecycle = new Lifecycle();
        for (String name : List.of("pool", "bus", "http-server", "readiness")) {
            lifecycle.register(name, LONG, () -> closed.add(name));
        }

        lifecycle.close();

        assertThat(closed).containsExactly("readiness", "http-server", "bus", "pool");
        assertThat(logLines).filteredOn(line -> line.contains("shutdown step"))
                .hasSize(4)
                .first().asString().contains("readiness");
    }

    @Test
    void registerReturnsTheResourceItWasGiven() {
        Lifecycle lifecycle = new Lifecycle();
        AutoCloseable resource = () -> { };
        assertThat(lifecycle.register("thing", LONG, resource)).isSameAs(resource);
        lifecycle.close();
    }

    @Test
    void aStepPastItsDeadlineIsAbandonedAndLaterStepsStillRun() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch hungStepInterrupted = new CountDownLatch(1);
        List<String> closed = new CopyOnWriteArrayList<>();
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.register("first-created", LONG, () -> closed.add("first-created"));
        lifecycle.register("hangs", Duration.ofMillis(200), () -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                hungStepInterrupted.countDown();
            }
        });
        lifecycle.register("last-created", LONG, () -> closed.add("last-created"));

        long start = System.nanoTime();
        lifecycle.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(closed).containsExactly("last-created", "first-created");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(200)).isLessThan(Duration.ofSeconds(3));
        assertThat(hungStepInterrupted.await(5, TimeUnit.SECONDS))
                .as("the abandoned step's thread is interrupted").isTrue();
        assertThat(logLines).anyMatch(line -> line.startsWith("WARNING")
                && line.contains("hangs") && line.contains("deadline"));
    }

    @Test
    void aStepThatFailsDoesNotStopTheOthers() {
        List<String> closed = new CopyOnWriteArrayList<>();
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.register("first-created", LONG, () -> closed.add("first-created"));
        lifecycle.register("fails", LONG, () -> {
            throw new IllegalStateException("boom");
        });
        lifecycle.register("last-created", LONG, () -> closed.add("last-created"));

        lifecycle.close();

        assertThat(closed).containsExactly("last-created", "first-created");
        assertThat(logLines).anyMatch(line -> line.startsWith("WARNING") && line.contains("fails") && line.contains("boom"));
    }

    @Test
    void closeIsIdempotent() {
        AtomicInteger closes = new AtomicInteger();
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.register("counted", LONG, closes::incrementAndGet);

        assertThat(lifecycle.isClosing()).isFalse();
        lifecycle.close();
        lifecycle.close();
        lifecycle.close();

        assertThat(closes).hasValue(1);
        assertThat(lifecycle.isClosing()).isTrue();
    }

    @Test
    void concurrentClosesCloseEachResourceOnce() throws Exception {
        AtomicInteger closes = new AtomicInteger();
        Lifecycle lifecycle = new Lifecycle();
        for (int i = 0; i < 20; i++) {
            lifecycle.register("r" + i, LONG, closes::incrementAndGet);
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> closers = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 8; i++) {
            closers.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                lifecycle.close();
            }));
        }
        go.countDown();
        for (Thread closer : closers) {
            assertThat(closer.join(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(closes).hasValue(20);
    }

    @Test
    void registerAfterCloseIsRefusedAndTheLateResourceIsClosedAtOnce() {
        AtomicInteger closes = new AtomicInteger();
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.close();

        assertThatThrownBy(() -> lifecycle.register("late", LONG, closes::incrementAndGet))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("late");
        assertThat(closes).as("a resource created while shutdown runs is not leaked").hasValue(1);
        lifecycle.close();
        assertThat(closes).hasValue(1);
    }
}
