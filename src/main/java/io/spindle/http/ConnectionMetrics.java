package io.spindle.http;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Meters of the connection guard: connections refused at a bound
 * ({@code spindle_connections_refused_total{reason="limit"|"per-client"}}), connections cut
 * ({@code spindle_connections_reaped_total{reason="header-timeout"|"slow-body"|"idle"}}), and the gauges of open
 * connections and their bound. No tag carries a client.
 */
public final class ConnectionMetrics implements AutoCloseable {
    private final MeterRegistry registry;
    private final Counter refusedAtLimit;
    private final Counter refusedPerClient;
    private final Map<ConnectionRules.Reason, Counter> reaped = new EnumMap<>(ConnectionRules.Reason.class);
    private final List<Meter> gauges = new ArrayList<>();

    public ConnectionMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.refusedAtLimit = refused("limit");
        this.refusedPerClient = refused("per-client");
        for (ConnectionRules.Reason reason : ConnectionRules.Reason.values()) {
            reaped.put(reason, reapedCounter(reason));
        }
    }

    void refusedAtLimit() {
        refusedAtLimit.increment();
    }

    void refusedPerClient() {
        refusedPerClient.increment();
    }

    void reaped(ConnectionRules.Reason reason) {
        reaped.get(reason).increment();
    }

    /** Gauges read from the guard; removed again on {@link #close()} so a later instance can register its own. */
    void gauges(Supplier<Number> open, Supplier<Number> max) {
        gauges.add(Gauge.builder("spindle.connections.open", open)
                           .description("HTTP connections open and admitted by the connection guard")
                           .register(registry));
        gauges.add(Gauge.builder("spindle.connections.max", max)
                           .description("Most HTTP connections open at once (server.connections.max, or computed)")
                           .register(registry));
    }

    @Override
    public void close() {
        gauges.forEach(registry::remove);
        gauges.clear();
    }

    private Counter refused(String reason) {
        return Counter.builder("spindle.connections.refused")
                .description("HTTP connections closed at once, over the total or the per-client bound")
                .tag("reason", reason)
                .register(registry);
    }

    private Counter reapedCounter(ConnectionRules.Reason reason) {
        return Counter.builder("spindle.connections.reaped")
                .description("HTTP connections cut for slow headers or body (after a 408) or for idling")
                .tag("reason", reason.tag())
                .register(registry);
    }
}
