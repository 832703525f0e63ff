package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class IdleEvictingCacheTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(-5 * SECOND); // negative: stamps must survive nanoTime's sign
    private final AtomicInteger created = new AtomicInteger();

    private IdleEvictingCache<String, Integer> cache(int max, long idleSeconds) {
        return new IdleEvictingCache<>(max, idleSeconds * SECOND, now::get, key -> created.incrementAndGet());
    }

    @Test
    void aKeyKeepsItsValueWhileItIsUsed() {
        IdleEvictingCache<String, Integer> cache = cache(10, 60);
        int a = cache.get("a");
        now.addAndGet(30 * SECOND);
        assertThat(cache.get("a")).isEqualTo(a);
        assertThat(created).hasValue(1);
    }

    @Test
    void atTheBoundTheIdleGoFirstThenTheLeastRecentlyUsed() {
        IdleEvictingCache<String, Integer> cache = cache(10, 60);
        for (int i = 0; i < 10; i++) {
            cache.get("k" + i);
            now.addAndGet(SECOND);
        }
        cache.get("k0"); // k0 is now the most recently used; k1 the least
        now.addAndGet(SECOND);
        cache.get("new");
        assertThat(cache.size()).isEqualTo(10);
        assertThat(cache.evicted()).isEqualTo(1);
        int before = created.get();
        cache.get("k0");
        assertThat(created).as("k0 survived").hasValue(before);
        cache.get("k1");
        assertThat(created).as("k1 was evicted and is created afresh").hasValue(before + 1);
    }

    @Test
    void idleEntriesAreSweptAsNewOnesArrive() {
        IdleEvictingCache<String, Integer> cache = cache(1000, 60);
        for (int i = 0; i < 100; i++) {
            cache.get("old" + i);
        }
        now.addAndGet(61 * SECOND);
        cache.get("fresh");
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.evicted()).isEqualTo(100);
    }

    @Test
    void racingThreadsNeverPassTheBound() throws Exception {
        IdleEvictingCache<String, Integer> cache = new IdleEvictingCache<>(500, 3600 * SECOND, System::nanoTime,
                                                                           key -> created.incrementAndGet());
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
                    cache.get("t" + offset + "-" + i);
                    cache.get("shared-" + (i % 50));
                    largest.accumulateAndGet(cache.size(), Math::max);
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(largest.get()).isLessThanOrEqualTo(500);
        assertThat(cache.size()).isLessThanOrEqualTo(500);
    }
}
