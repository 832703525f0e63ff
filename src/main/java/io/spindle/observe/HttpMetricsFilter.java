package io.spindle.observe;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * Counts HTTP responses by method and status as {@code spindle_http_requests_total}. Methods outside
 * the standard set count as {@code OTHER}, so the number of series stays bounded.
 *
 * <p>Meters are registered on the Micrometer registry directly, as all of Spindle's are: registering some
 * through Helidon's metrics API and some through Micrometer takes the two registries' locks in opposite
 * orders, and two threads doing so at once deadlock.
 */
public final class HttpMetricsFilter implements Filter {
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE");

    private final MeterRegistry registry;
    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

    public HttpMetricsFilter(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        try {
            chain.proceed();
        } finally {
            String method = req.prologue().method().text();
            String label = METHODS.contains(method) ? method : "OTHER";
            String status = Integer.toString(res.status().code());
            Counter counter = counters.get(label + ' ' + status);
            if (counter == null) {
                // registered outside computeIfAbsent: Micrometer calls back into Helidon under its own lock
                counter = Counter.builder("spindle.http.requests")
                        .description("HTTP responses by method and status")
                        .tag("method", label)
                        .tag("status", status)
                        .register(registry);
                counters.putIfAbsent(label + ' ' + status, counter);
            }
            counter.increment();
        }
    }
}
