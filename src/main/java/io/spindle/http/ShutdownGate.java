package io.spindle.http;

import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * Closed at the start of shutdown, before the server stops: from then on a request gets 503 with
 * {@code Retry-After} and {@code Connection: close}, and a request already in flight finishes with
 * {@code Connection: close}, so every kept-alive connection ends at its next response and a client reconnects
 * elsewhere. Helidon's stop then finds no connection that could still carry a request when its grace runs out
 * and it interrupts what is left (which cut a request in flight into a 500). Health and metrics stay served.
 */
public final class ShutdownGate implements Filter, AutoCloseable {
    private static final long RETRY_AFTER_SECONDS = 1;
    private static final String OBSERVE = "/observe/";

    private final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (closed.get() && !req.path().path().startsWith(OBSERVE)) {
            res.header(HeaderValues.CONNECTION_CLOSE);
            ProblemResponses.send(res, new ProblemMapper.Mapped(
                    Problem.of(503, "Service Unavailable", "The service is shutting down; retry on a new connection."),
                    RETRY_AFTER_SECONDS));
            return;
        }
        res.beforeSend(() -> {
            if (closed.get()) {
                res.header(HeaderValues.CONNECTION_CLOSE);
            }
        });
        chain.proceed();
    }

    @Override
    public void close() {
        closed.set(true);
    }
}
