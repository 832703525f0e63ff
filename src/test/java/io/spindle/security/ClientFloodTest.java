package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.config.Settings;
import org.junit.jupiter.api.Test;

/**
 * SPEC §6: a flood of distinct clients cannot exhaust memory. 100,000 client identities, from several threads at
 * once, through the default bound of 10,000 limiters: the number of live limiters never passes the bound (sampled
 * all along), and the heap after a second flood of 100,000 more is where it was after the first.
 */
class ClientFloodTest {
    private static final int IDENTITIES = 100_000;
    private static final int THREADS = 8;

    @Test
    void aFloodOfDistinctClientsStaysWithinTheBound() throws Exception {
        Settings.ClientLimits settings = Settings.ClientLimits.DEFAULTS;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ClientLimits limits = new ClientLimits(settings, new SecurityMetrics(registry), System::nanoTime);
        long baseline = settledHeap();

        int largestFirst = flood(limits, "addr:10.", IDENTITIES);
        long afterFirst = settledHeap();
        int largestSecond = flood(limits, "addr:172.", IDENTITIES);
        long afterSecond = settledHeap();

        System.out.printf("ClientFloodTest: %,d identities twice; live limiters at most %,d (bound %,d), now %,d; "
                                  + "heap %,d KiB before, %,d KiB after the first flood, %,d KiB after the second%n",
                          IDENTITIES, Math.max(largestFirst, largestSecond), settings.maxClients(), limits.liveLimiters(),
                          baseline / 1024, afterFirst / 1024, afterSecond / 1024);
        assertThat(Math.max(largestFirst, largestSecond)).isLessThanOrEqualTo(settings.maxClients());
        assertThat(limits.liveLimiters()).isLessThanOrEqualTo(settings.maxClients());
        assertThat(registry.get("spindle.ratelimit.clients").gauge().value()).isLessThanOrEqualTo(settings.maxClients());
        // 10,000 limiters take a few MiB; 200,000 kept would take tens
        assertThat(afterFirst - baseline).as("heap held by a full cache").isLessThan(24L << 20);
        assertThat(afterSecond - afterFirst).as("heap growth from a second flood").isLessThan(4L << 20);
        limits.close();
    }

    /** Charges one permit for each of {@code count} distinct clients; returns the most live limiters seen. */
    private static int flood(ClientLimits limits, String prefix, int count) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger largest = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        Thread sampler = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                largest.accumulateAndGet(limits.liveLimiters(), Math::max);
                Thread.onSpinWait();
            }
        });
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    String client = prefix + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
                    if (!limits.acquire(client, 1).permitted()) {
                        throw new AssertionError("a fresh client was refused: " + client);
                    }
                    largest.accumulateAndGet(limits.liveLimiters(), Math::max);
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        done.set(true);
        sampler.join();
        return largest.get();
    }

    private static long settledHeap() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(Duration.ofMillis(50));
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
