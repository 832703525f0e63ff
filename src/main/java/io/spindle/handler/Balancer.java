package io.spindle.handler;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;

/**
 * Round-robin choice among one queue's backends whose circuit breaker lets a delivery through: closed ones,
 * and a half-open one's single probe. Lock-free; any number of threads may use one instance at once.
 */
public final class Balancer {
    private final List<URI> backends;
    private final URI[] endpoints;
    private final CircuitBreaker[] breakers;
    private final AtomicInteger cursor = new AtomicInteger();

    /** A backend chosen for one delivery, with the breaker the delivery's end is reported to. */
    public record Choice(URI backend, URI endpoint, CircuitBreaker breaker) {
    }

    /**
     * @param backends  at least one; a backend listed twice gets twice the share and one breaker
     * @param endpoints the URL each backend is posted to, in the same order
     * @param breakerOf the breaker of a backend
     */
    public Balancer(List<URI> backends, List<URI> endpoints, Function<URI, CircuitBreaker> breakerOf) {
        if (backends.isEmpty() || backends.size() != endpoints.size()) {
            throw new IllegalArgumentException("a balancer needs at least one backend, each with its endpoint");
        }
        this.backends = List.copyOf(backends);
        this.endpoints = endpoints.toArray(URI[]::new);
        this.breakers = this.backends.stream().map(breakerOf).toArray(CircuitBreaker[]::new);
    }

    public List<URI> backends() {
        return backends;
    }

    /** The next backend in turn whose breaker permits a delivery (the permission is taken); empty when none does. */
    public Optional<Choice> next() {
        int start = cursor.getAndIncrement();
        for (int i = 0; i < endpoints.length; i++) {
            int at = Math.floorMod(start + i, endpoints.length);
            if (breakers[at].tryAcquirePermission()) {
                if (i > 0) {
                    cursor.getAndAdd(i); // the next caller starts after the one chosen, not at a skipped one
                }
                return Optional.of(new Choice(backends.get(at), endpoints[at], breakers[at]));
            }
        }
        return Optional.empty();
    }
}
