package io.spindle.security;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Security meters: refusals by rate limit ({@code spindle_ratelimit_refusals_total{limit="requests"|"streams"}})
 * and by authentication or role ({@code spindle_auth_refusals_total{status="401"|"403"}}), and the gauges of live
 * client limiters and open event streams. Series are fixed: no tag carries a client.
 */
public final class SecurityMetrics implements AutoCloseable {
    private final MeterRegistry registry;
    private final Counter refusedRequests;
    private final Counter refusedStreams;
    private final Counter unauthenticated;
    private final Counter forbidden;
    private final List<Meter> gauges = new ArrayList<>();

    public SecurityMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.refusedRequests = refusals("requests");
        this.refusedStreams = refusals("streams");
        this.unauthenticated = authRefusals("401");
        this.forbidden = authRefusals("403");
    }

    void refusedRequest() {
        refusedRequests.increment();
    }

    void refusedStream() {
        refusedStreams.increment();
    }

    public void unauthenticated() {
        unauthenticated.increment();
    }

    public void forbidden() {
        forbidden.increment();
    }

    /** Gauges read from the limiter cache; removed again on {@link #close()} so a later instance can register its own. */
    void gauges(Supplier<Number> liveLimiters, Supplier<Number> openStreams) {
        gauges.add(Gauge.builder("spindle.ratelimit.clients", liveLimiters)
                           .description("Client rate limiters held in memory (bounded by ratelimit.clients.max-clients)")
                           .register(registry));
        gauges.add(Gauge.builder("spindle.ratelimit.streams", openStreams)
                           .description("Event streams open, over all clients")
                           .register(registry));
    }

    @Override
    public void close() {
        gauges.forEach(registry::remove);
        gauges.clear();
    }

    private Counter refusals(String limit) {
        return Counter.builder("spindle.ratelimit.refusals")
                .description("Requests refused with 429 by a client limit")
                .tag("limit", limit)
                .register(registry);
    }

    private Counter authRefusals(String status) {
        return Counter.builder("spindle.auth.refusals")
                .description("Requests refused for a missing or unknown key (401) or a missing role (403)")
                .tag("status", status)
                .register(registry);
    }
}
