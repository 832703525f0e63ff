package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.config.Settings;
import org.junit.jupiter.api.Test;

/**
 * How many client limiters are held, and which: idle ones are forgotten after the idle timeout, a client in steady
 * use keeps its limiter (and so what it has spent) through a flood of new clients, and racing first requests never
 * pass {@code max-clients}. On an injected clock; what a client has spent shows in {@code remaining}.
 */
class ClientLimiterEvictionTest {
    private static final long SECOND = 1_000_000_000L;
    private static final Duration IDLE = Duration.ofMinutes(5);
    private final AtomicLong now = new AtomicLong(-5 * SECOND); // negative: nanoTime may have any sign
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    /** 1000 permits an hour, so that a kept limiter shows what was spent and a fresh one shows it all. */
    private ClientLimits limits(int maxClients) {
        return new ClientLimits(new Settings.ClientLimits(true, 1000, Duration.ofHours(1), maxClients, IDLE, 10),
                                new SecurityMetrics(registry), now::get);
    }

    private double gauge() {
        return registry.get("spindle.ratelimit.clients").gauge().value();
    }

    @Test
    void aClientKeepsItsLimiterWhileItIsUsed() {
        ClientLimits limits = limits(100);
        for (int charge = 1; charge <= 5; charge++) {
            assertThat(limits.acquire("key:a", 1).remaining()).as("charge %d, same limiter", charge)
                    .isEqualTo(1000 - charge);
            now.addAndGet(IDLE.toNanos() - SECOND);
        }
        limits.close();
    }

    @Test
    void aLimiterIdleLongerThanTheIdleTimeoutIsForgottenAsNewClientsArrive() {
        ClientLimits limits = limits(1000);
        for (int i = 0; i < 100; i++) {
            limits.acquire("addr:old-" + i, 1);
        }
        assertThat(limits.liveLimiters()).isEqualTo(100);
        assertThat(gauge()).isEqualTo(100);

        now.addAndGet(IDLE.toNanos() + SECOND);
        limits.acquire("addr:fresh", 1);

        assertThat(limits.liveLimiters()).isEqualTo(1);
        assertThat(gauge()).isEqualTo(1);
        assertThat(limits.acquire("addr:old-0", 1).remaining()).as("a fresh limiter, within the same hour")
                .isEqualTo(999);
        limits.close();
    }

    @Test
    void aClientInSteadyUseKeepsItsLimiterThroughAFloodOfNewClients() {
        ClientLimits limits = limits(100);
        int spent = 0;
        for (int i = 0; i < 5_000; i++) {
            if (i % 10 == 0) {
                spent++;
                assertThat(limits.acquire("key:regular", 1).remaining()).as("after %d charges", spent)
                        .isEqualTo(1000 - spent);
            }
            assertThat(limits.acquire("addr:flood-" + i, 1).permitted()).isTrue();
            now.addAndGet(1_000_000);
            assertThat(limits.liveLimiters()).isLessThanOrEqualTo(100);
        }
        assertThat(gauge()).isLessThanOrEqualTo(100);
        limits.close();
    }

    @Test
    void racingFirstRequestsNeverPassTheBound() throws Exception {
        ClientLimits limits = limits(500);
        AtomicInteger largest = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int offset = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 20_000; i++) {
                    limits.acquire("addr:t" + offset + "-" + i, 1);
                    limits.acquire("key:shared-" + i % 50, 1);
                    largest.accumulateAndGet(limits.liveLimiters(), Math::max);
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(largest.get()).isLessThanOrEqualTo(500);
        assertThat(limits.liveLimiters()).isLessThanOrEqualTo(500);
        limits.close();
    }
}
