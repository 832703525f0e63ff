package io.spindle.handler;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * One Resilience4j circuit breaker per queue and backend URL, on this instance: it opens when enough of the
 * backend's recent deliveries failed, stays open for its wait, then lets one probe through (half open), whose
 * result closes or opens it again. The dispatcher asks {@link #admission} before it claims a queue's tasks, so
 * while every backend of a queue is open no task is started and no attempt spent. At most
 * {@value #MAX_BREAKERS} are kept; past that, arbitrary others are forgotten (they start closed again).
 */
public final class BackendBreakers {
    static final int MAX_BREAKERS = 10_000;

    /** A breaker's state as the API shows it. */
    public enum State {
        CLOSED("closed"), OPEN("open"), HALF_OPEN("half_open");

        private final String text;

        State(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** One backend of a queue and its breaker's state. */
    public record BackendState(URI url, State state) {
    }

    /** Told of every change of a breaker's state (on the thread whose delivery caused it). */
    @FunctionalInterface
    public interface Listener {
        void changed(String queue, URI backend, State state);
    }

    /**
     * How many of a queue's tasks the dispatcher may start now: any number while a backend is closed, one (the
     * probe) once an open backend's wait is over, none while every backend is open or probing; {@code recheckIn}
     * says when to look again in the last case.
     */
    public record Admission(int tasks, Optional<Duration> recheckIn) {
        static final Admission ANY = new Admission(Integer.MAX_VALUE, Optional.empty());
        static final Admission PROBE = new Admission(1, Optional.empty());
    }

    private record Id(String queue, URI backend) {
    }

    private static final class Entry {
        final CircuitBreaker breaker;
        final AtomicBoolean observed = new AtomicBoolean();
        volatile long openedAt;

        Entry(CircuitBreaker breaker) {
            this.breaker = breaker;
        }

        State state() {
            return switch (breaker.getState()) {
                case OPEN, FORCED_OPEN -> State.OPEN;
                case HALF_OPEN -> State.HALF_OPEN;
                default -> State.CLOSED;
            };
        }
    }

    private final ConcurrentHashMap<Id, Entry> entries = new ConcurrentHashMap<>();
    private final CircuitBreakerConfig config;
    private final Duration waitInOpen;
    private final LongSupplier nanoTime;
    private final Listener listener;
    private final MeterRegistry meters;

    /**
     * @param failureRate percent of the recent deliveries that must have failed
     * @param minimumCalls deliveries before the breaker may open; its window is this many, at least 20
     * @param waitInOpen how long an open breaker refuses before it lets one probe through
     */
    public BackendBreakers(int failureRate, int minimumCalls, Duration waitInOpen, Listener listener, MeterRegistry meters) {
        this.config = CircuitBreakerConfig.custom()
                .failureRateThreshold(failureRate)
                .minimumNumberOfCalls(minimumCalls)
                .slidingWindowSize(Math.max(20, minimumCalls))
                .waitDurationInOpenState(waitInOpen.isZero() ? Duration.ofMillis(1) : waitInOpen)
                .permittedNumberOfCallsInHalfOpenState(1)
                .build();
        this.waitInOpen = waitInOpen;
        this.nanoTime = System::nanoTime;
        this.listener = listener;
        this.meters = meters;
    }

    /** Breakers with the default thresholds, telling no one: for tests and tools. */
    public static BackendBreakers standalone(Duration waitInOpen) {
        return new BackendBreakers(50, 10, waitInOpen, (queue, backend, state) -> { }, new SimpleMeterRegistry());
    }

    /** The breaker of one backend of a queue, created closed on first use. */
    CircuitBreaker of(String queue, URI backend) {
        Id id = new Id(queue, backend);
        Entry entry = entries.get(id);
        if (entry == null) {
            entry = entries.computeIfAbsent(id, any -> new Entry(CircuitBreaker.of("backend-" + queue + "-" + backend, config)));
            if (entry.observed.compareAndSet(false, true)) {
                observe(id, entry); // outside the map's lock: Micrometer's registration takes locks of its own
            }
            if (entries.size() > MAX_BREAKERS) {
                evictOtherThan(id);
            }
        }
        return entry.breaker;
    }

    public Admission admission(String queue, List<URI> backends) {
        long now = nanoTime.getAsLong();
        long soonest = Long.MAX_VALUE;
        boolean probeDue = false;
        for (URI backend : backends) {
            Entry entry = entries.get(new Id(queue, backend));
            State state = entry == null ? State.CLOSED : entry.state();
            switch (state) {
                case CLOSED -> {
                    return Admission.ANY;
                }
                case OPEN -> {
                    long left = waitInOpen.toNanos() - (now - entry.openedAt);
                    if (left <= 0) {
                        probeDue = true;
                    } else {
                        soonest = Math.min(soonest, left);
                    }
                }
                case HALF_OPEN -> soonest = Math.min(soonest, waitInOpen.toNanos()); // its probe's end rings us
            }
        }
        if (probeDue) {
            return Admission.PROBE;
        }
        return new Admission(0, Optional.of(Duration.ofNanos(soonest)));
    }

    /** Each distinct backend of a queue with its breaker's state, in the queue's order. */
    public List<BackendState> states(String queue, List<URI> backends) {
        List<BackendState> states = new ArrayList<>();
        for (URI backend : new LinkedHashSet<>(backends)) {
            Entry entry = entries.get(new Id(queue, backend));
            states.add(new BackendState(backend, entry == null ? State.CLOSED : entry.state()));
        }
        return states;
    }

    int size() {
        return entries.size();
    }

    private void observe(Id id, Entry entry) {
        Gauge.builder("spindle.backend.state", entry, e -> e.state().ordinal())
                .description("Circuit breaker of an http backend of a queue on this instance: 0 closed, 1 open, "
                             + "2 half open")
                .tag("queue", id.queue()).tag("backend", id.backend().toString())
                .register(meters);
        entry.breaker.getEventPublisher().onStateTransition(event -> {
            State to = entry.state();
            if (to == State.OPEN) {
                entry.openedAt = nanoTime.getAsLong();
            }
            Counter.builder("spindle.backend.transitions")
                    .description("Changes of an http backend's circuit breaker, by the state entered")
                    .tag("queue", id.queue()).tag("backend", id.backend().toString()).tag("state", to.text())
                    .register(meters).increment();
            listener.changed(id.queue(), id.backend(), to);
        });
    }

    private void evictOtherThan(Id keep) {
        Iterator<Id> ids = entries.keySet().iterator();
        while (entries.size() > MAX_BREAKERS && ids.hasNext()) {
            if (!ids.next().equals(keep)) {
                ids.remove();
            }
        }
    }
}
