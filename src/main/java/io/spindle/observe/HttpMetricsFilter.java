package io.spindle.observe;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Tag;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * Counts HTTP responses by method and status as {@code spindle_http_requests_total}. Methods outside
 * the standard set count as {@code OTHER}, so the number of series stays bounded.
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
            counters.computeIfAbsent(label + ' ' + status, key -> registry.getOrCreate(
                    Counter.builder("spindle.http.requests")
                            .description("HTTP responses by method and status")
                            .tags(List.of(Tag.create("method", label), Tag.create("status", status)))))
                    .increment();
        }
    }
}
