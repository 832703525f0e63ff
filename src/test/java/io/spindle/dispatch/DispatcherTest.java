package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.spindle.handler.Outcome;
import io.spindle.task.Queue;
import io.spindle.task.Task;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher claims due tasks when rung (it polls only once an hour here), within each queue's
 * {@code maxConcurrent}, and announces each start before the task can end.
 */
class DispatcherTest {
    private static final Queue.RetryPolicy RETRY = new Queue.RetryPolicy(3, Duration.ZERO, Duration.ZERO);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    private static final Wakeup WAKEUP = new Wakeup();
    private static DispatchDatabase world;

    private final Semaphore started = new Semaphore(0);
    private final Semaphore gate = new Semaphore(0);
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private CompletionWriter writer;
    private WorkerExecutor workers;
    private Dispatcher dispatcher;
    private String queueName;
    private QueueSlots slots;

    @BeforeAll
    static void open() {
        world = new DispatchDatabase(WAKEUP::ring);
    }

    @AfterAll
    static void dropDatabase() {
        world.close();
    }

    @BeforeEach
    void start() {
        queueName = world.nextQueue();
        slots = new QueueSlots(WAKEUP::ring);
        writer = new CompletionWriter(world.store, 100, world.transitions, slots);
        workers = new WorkerExecutor(8, queue -> (q, task) -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            started.release();
            try {
                gate.acquire();
            } finally {
                concurrent.decrementAndGet();
            }
            return new Outcome.Success("{}");
        }, writer, world.store, new RetryDecision(new Backoff(BackoffTest.fixed(0.0))), world.metrics,
                world.transitions, slots, WAKEUP::ring, CLOCK);
        dispatcher = new Dispatcher(world.store, new QueueCatalog(world.queues, configs -> { }), workers, slots,
                world.transitions, WAKEUP,
                new Dispatcher.Settings(100, Duration.ofSeconds(5), Duration.ofHours(1), Duration.ZERO), CLOCK);
    }

    @AfterEach
    void stop() throws Exception {
        world.pauseAll();
        gate.release(1000);
        dispatcher.close();
        workers.close();
        writer.close();
    }

    @Test
    void aRingStartsDueTasksAndEachStartIsAnnouncedBeforeItsEnd() throws Exception {
        world.queue(queueName, 10, RETRY);
        dispatcher.start();
        List<Task> tasks = world.enqueue(queueName, 3);

        WAKEUP.ring();
        assertThat(started.tryAcquire(3, 10, TimeUnit.SECONDS)).as("started by the ring").isTrue();
        gate.release(3);

        List<String> events = world.next(6);
        for (Task task : tasks) {
            assertThat(events.indexOf("task.started " + task.id()))
                    .isNotNegative()
                    .isLessThan(events.indexOf("task.succeeded " + task.id()));
        }
    }

    @Test
    void aQueueNeverRunsMoreThanItsMaxConcurrent() throws Exception {
        world.queue(queueName, 2, RETRY);
        world.enqueue(queueName, 5);
        dispatcher.start();

        assertThat(started.tryAcquire(2, 10, TimeUnit.SECONDS)).isTrue();
        assertThat(slots.held(queueName)).isEqualTo(2);
        for (int finished = 0; finished < 3; finished++) {
            gate.release(); // one ends, frees its slot and rings: the next is claimed
            assertThat(started.tryAcquire(1, 10, TimeUnit.SECONDS)).isTrue();
        }
        gate.release(2);
        assertThat(world.next(10)).filteredOn(e -> e.startsWith("task.succeeded")).hasSize(5);
        assertThat(maxConcurrent.get()).isEqualTo(2);
    }

    @Test
    void aPausedQueueIsNotDispatched() throws Exception {
        Queue paused = world.queue(queueName, 10, RETRY);
        world.queues.save(new Queue(paused.name(), paused.handler(), 10, paused.rate(), RETRY, paused.retention(), true));
        world.enqueue(queueName, 1);
        String other = queueName + "-live";
        world.queue(other, 10, RETRY);
        Task live = world.enqueue(other, 1).getFirst();
        dispatcher.start();

        assertThat(started.tryAcquire(1, 10, TimeUnit.SECONDS)).isTrue();
        assertThat(world.next(1)).containsExactly("task.started " + live.id());
        assertThat(slots.held(queueName)).isZero();
    }
}
