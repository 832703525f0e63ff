package io.spindle.handler;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Round-robin choice among one queue's backends that skips a backend for a cool-down once it has failed
 * {@value #EJECT_AFTER} times in a row. Lock-free; any number of threads may use one instance at once.
 */
public final class Balancer {
    /** Consecutive failures after which a backend is skipped. */
    public static final int EJECT_AFTER = 3;
    /** How long an ejected backend is skipped unless the constructor says otherwise. */
    public static final Duration DEFAULT_COOL_DOWN = Duration.ofSeconds(10);

    private final List<URI> backends;
    private final Backend[] ring;
    private final Map<URI, Backend> byUri;
    private final long coolDownNanos;
    private final LongSupplier nanoTime;
    private final AtomicInteger cursor = new AtomicInteger();

    public Balancer(List<URI> backends) {
        this(backends, DEFAULT_COOL_DOWN, System::nanoTime);
    }

    /**
     * @param backends at least one; a backend listed twice gets twice the share and one failure count
     * @param coolDown how long a backend is skipped after {@value #EJECT_AFTER} consecutive failures
     * @param nanoTime a monotonic clock in nanoseconds, {@code System::nanoTime} outside tests
     */
    public Balancer(List<URI> backends, Duration coolDown, LongSupplier nanoTime) {
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("a balancer needs at least one backend");
        }
        if (coolDown.isNegative()) {
            throw new IllegalArgumentException("cool-down must not be negative: " + coolDown);
        }
        this.backends = List.copyOf(backends);
        this.coolDownNanos = coolDown.toNanos();
        this.nanoTime = Objects.requireNonNull(nanoTime);
        Map<URI, Backend> states = new HashMap<>();
        this.ring = new Backend[this.backends.size()];
        for (int i = 0; i < ring.length; i++) {
            ring[i] = states.computeIfAbsent(this.backends.get(i), Backend::new);
        }
        this.byUri = Map.copyOf(states);
    }

    public List<URI> backends() {
        return backends;
    }

    /**
     * The next backend in turn that is not cooling down; when every backend is, the one whose last
     * failure is oldest, since it is the likeliest to have recovered.
     */
    public URI next() {
        long now = nanoTime.getAsLong();
        int start = cursor.getAndIncrement();
        Backend oldestFailure = null;
        for (int i = 0; i < ring.length; i++) {
            Backend backend = ring[Math.floorMod(start + i, ring.length)];
            if (!backend.coolingDown(now, coolDownNanos)) {
                return backend.uri;
            }
            if (oldestFailure == null || backend.sinceLastFailure(now) > oldestFailure.sinceLastFailure(now)) {
                oldestFailure = backend;
            }
        }
        return oldestFailure.uri;
    }

    /** The backend answered; its run of failures is over. Unknown backends are ignored. */
    public void succeeded(URI backend) {
        Backend state = byUri.get(backend);
        if (state != null) {
            state.failures.set(0);
        }
    }

    /** The backend failed (no connection, timeout, or an overload status). Unknown backends are ignored. */
    public void failed(URI backend) {
        Backend state = byUri.get(backend);
        if (state != null) {
            // time first, so a reader that sees the count reach EJECT_AFTER also sees a fresh failure time
            state.lastFailure.set(nanoTime.getAsLong());
            state.failures.updateAndGet(n -> n < EJECT_AFTER ? n + 1 : n);
        }
    }

    private static final class Backend {
        final URI uri;
        final AtomicInteger failures = new AtomicInteger();
        final AtomicLong lastFailure = new AtomicLong();

        Backend(URI uri) {
            this.uri = uri;
        }

        boolean coolingDown(long now, long coolDownNanos) {
            return failures.get() >= EJECT_AFTER && sinceLastFailure(now) < coolDownNanos;
        }

        long sinceLastFailure(long now) {
            // a difference, not a comparison of readings, so nanoTime's wrap-around does no harm
            return now - lastFailure.get();
        }
    }
}
