package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class BalancerTest {
    private static final URI A = URI.create("http://10.0.0.1:9000/hook");
    private static final URI B = URI.create("http://10.0.0.2:9000/hook");
    private static final URI C = URI.create("http://10.0.0.3:9000/hook");
    private static final Duration COOL_DOWN = Duration.ofSeconds(10);

    private final AtomicLong nanos = new AtomicLong(123_456_789L);
    private final Balancer balancer = new Balancer(List.of(A, B, C), COOL_DOWN, nanos::get);

    @Test
    void takesBackendsInTurn() {
        assertThat(next(7)).containsExactly(A, B, C, A, B, C, A);
    }

    @Test
    void skipsABackendAfterThreeFailuresInARow() {
        fail(A, 2);
        assertThat(next(3)).containsExactly(A, B, C);

        fail(A, 1);
        assertThat(next(6)).doesNotContain(A).containsOnly(B, C);
    }

    @Test
    void aSuccessEndsTheRunOfFailures() {
        fail(A, 2);
        balancer.succeeded(A);
        fail(A, 2);

        assertThat(next(3)).contains(A);
    }

    @Test
    void anEjectedBackendReturnsWhenItsCoolDownIsOver() {
        fail(A, 3);
        advance(COOL_DOWN.minusMillis(1));
        assertThat(next(3)).doesNotContain(A);

        advance(Duration.ofMillis(1));
        assertThat(next(3)).contains(A);
    }

    @Test
    void oneMoreFailureAfterTheCoolDownEjectsAgainAtOnce() {
        fail(A, 3);
        advance(COOL_DOWN);
        fail(A, 1);

        assertThat(next(6)).doesNotContain(A);
    }

    @Test
    void whenAllAreCoolingDownTheOneThatFailedLongestAgoIsChosen() {
        fail(B, 3);
        advance(Duration.ofSeconds(1));
        fail(C, 3);
        advance(Duration.ofSeconds(1));
        fail(A, 3);

        assertThat(next(4)).containsOnly(B);

        fail(B, 1);
        assertThat(next(2)).containsOnly(C);
    }

    @Test
    void aSingleBackendIsAlwaysChosenEvenWhenEjected() {
        Balancer single = new Balancer(List.of(A), COOL_DOWN, nanos::get);
        single.failed(A);
        single.failed(A);
        single.failed(A);

        assertThat(single.next()).isEqualTo(A);
    }

    @Test
    void theClockMayWrapAround() {
        nanos.set(Long.MAX_VALUE - 1_000);
        fail(A, 3);
        advance(Duration.ofSeconds(1));
        assertThat(next(3)).doesNotContain(A);

        advance(COOL_DOWN);
        assertThat(next(3)).contains(A);
    }

    @Test
    void unknownBackendsAreIgnored() {
        URI stranger = URI.create("http://10.9.9.9/hook");
        balancer.failed(stranger);
        balancer.failed(stranger);
        balancer.failed(stranger);
        balancer.succeeded(stranger);

        assertThat(next(3)).containsExactly(A, B, C);
    }

    @Test
    void aBackendListedTwiceGetsTwoTurnsAndOneFailureCount() {
        Balancer weighted = new Balancer(List.of(A, A, B), COOL_DOWN, nanos::get);
        List<URI> picked = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            picked.add(weighted.next());
        }
        assertThat(picked).containsExactly(A, A, B, A, A, B);

        weighted.failed(A);
        weighted.failed(A);
        weighted.failed(A);
        assertThat(weighted.next()).isEqualTo(B);
        assertThat(weighted.next()).isEqualTo(B);
    }

    @Test
    void needsAtLeastOneBackend() {
        assertThatThrownBy(() -> new Balancer(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentCallersShareTheTurnsEvenly() throws Exception {
        List<URI> four = List.of(A, B, C, URI.create("http://10.0.0.4:9000/hook"));
        Balancer shared = new Balancer(four);
        int threads = 16;
        int callsEach = 25_000;
        Map<URI, AtomicInteger> counts = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    Map<URI, Integer> local = new java.util.HashMap<>();
                    for (int i = 0; i < callsEach; i++) {
                        local.merge(shared.next(), 1, Integer::sum);
                    }
                    local.forEach((uri, n) -> counts.computeIfAbsent(uri, u -> new AtomicInteger()).addAndGet(n));
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertThat(counts).hasSize(4);
        counts.values().forEach(n -> assertThat(n.get()).isEqualTo(threads * callsEach / 4));
    }

    private List<URI> next(int n) {
        List<URI> picked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            picked.add(balancer.next());
        }
        return picked;
    }

    private void fail(URI backend, int times) {
        for (int i = 0; i < times; i++) {
            balancer.failed(backend);
        }
    }

    private void advance(Duration by) {
        nanos.addAndGet(by.toNanos());
    }
}
