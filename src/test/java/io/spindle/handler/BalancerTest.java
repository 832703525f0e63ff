package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** Round-robin among the backends whose breaker lets a delivery through, and the breakers' states and admission. */
class BalancerTest {
    private static final URI A = URI.create("http://10.0.0.1:9000");
    private static final URI B = URI.create("http://10.0.0.2:9000");
    private static final URI C = URI.create("http://10.0.0.3:9000");
    private static final Duration WAIT = Duration.ofMillis(300);

    private final List<String> changes = new CopyOnWriteArrayList<>();
    private final BackendBreakers breakers = new BackendBreakers(50, 2, WAIT,
            (queue, backend, state) -> changes.add(backend.getHost() + " " + state.text()), new SimpleMeterRegistry());

    @Test
    void takesBackendsInTurn() {
        assertThat(next(balancer(A, B, C), 7)).containsExactly(A, B, C, A, B, C, A);
    }

    @Test
    void skipsABackendWhoseBreakerIsOpen() {
        Balancer balancer = balancer(A, B, C);
        fail(A, 2);
        assertThat(changes).containsExactly("10.0.0.1 open");
        assertThat(next(balancer, 4)).containsExactly(B, C, B, C);
        assertThat(breakers.admission("q", List.of(A, B, C)).tasks()).as("B and C are closed").isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void whileEveryBreakerIsOpenNothingIsChosenThenOneProbeClosesIt() {
        Balancer balancer = balancer(A, B);
        fail(A, 2);
        fail(B, 2);
        assertThat(balancer.next()).isEmpty();
        BackendBreakers.Admission held = breakers.admission("q", List.of(A, B));
        assertThat(held.tasks()).isZero();
        assertThat(held.recheckIn()).hasValueSatisfying(d -> assertThat(d).isPositive().isLessThanOrEqualTo(WAIT));
        assertThat(breakers.states("q", List.of(A, B))).extracting(BackendBreakers.BackendState::state)
                .containsExactly(BackendBreakers.State.OPEN, BackendBreakers.State.OPEN);

        await().atMost(Duration.ofSeconds(2)).until(() -> breakers.admission("q", List.of(A, B)).tasks() == 1);
        Optional<Balancer.Choice> probe = balancer.next();
        assertThat(probe).isPresent();
        Optional<Balancer.Choice> other = balancer.next();
        assertThat(other).as("the other backend's probe").isPresent();
        assertThat(other.get().backend()).isNotEqualTo(probe.get().backend());
        assertThat(balancer.next()).as("one probe a backend at a time").isEmpty();
        assertThat(breakers.admission("q", List.of(A, B)).tasks()).as("the probe is out").isZero();

        probe.get().breaker().onSuccess(1, TimeUnit.MILLISECONDS);
        URI probed = probe.get().backend();
        assertThat(changes).contains(probed.getHost() + " half_open", probed.getHost() + " closed");
        assertThat(balancer.next()).map(Balancer.Choice::backend).hasValue(probed);
    }

    @Test
    void aBackendListedTwiceGetsTwoTurnsAndOneBreaker() {
        Balancer weighted = balancer(A, A, B);
        assertThat(next(weighted, 6)).containsExactly(A, A, B, A, A, B);
        fail(A, 2);
        assertThat(next(weighted, 3)).containsExactly(B, B, B);
        assertThat(breakers.states("q", List.of(A, A, B))).hasSize(2);
    }

    @Test
    void needsAtLeastOneBackend() {
        assertThatThrownBy(() -> new Balancer(List.of(), List.of(), b -> breakers.of("q", b)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keepsAtMostItsBoundOfBreakers() {
        for (int i = 0; i < BackendBreakers.MAX_BREAKERS + 100; i++) {
            breakers.of("q" + i, A);
        }
        assertThat(breakers.size()).isLessThanOrEqualTo(BackendBreakers.MAX_BREAKERS);
    }

    @Test
    void concurrentCallersShareTheTurnsEvenly() throws Exception {
        Balancer shared = balancer(A, B, C, URI.create("http://10.0.0.4:9000"));
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
                        local.merge(shared.next().orElseThrow().backend(), 1, Integer::sum);
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

    private Balancer balancer(URI... backends) {
        List<URI> list = List.of(backends);
        return new Balancer(list, list.stream().map(b -> QueueBalancers.endpoint(b, "/hook")).toList(),
                            b -> breakers.of("q", b));
    }

    private static List<URI> next(Balancer balancer, int n) {
        List<URI> picked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Balancer.Choice choice = balancer.next().orElseThrow();
            choice.breaker().releasePermission();
            picked.add(choice.backend());
        }
        return picked;
    }

    private void fail(URI backend, int times) {
        for (int i = 0; i < times; i++) {
            breakers.of("q", backend).onError(1, TimeUnit.MILLISECONDS, new RuntimeException("down"));
        }
    }
}
