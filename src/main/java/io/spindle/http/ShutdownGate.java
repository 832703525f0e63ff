package io.spindle.http;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * Closed at the start of shutdown, before the server stops: from then on a request gets 503 with
 * {@code Retry-After} and {@code Connection: close}, and a request already in flight finishes with
 * {@code Connection: close}, so every kept-alive connection ends at its next response and its client reconnects
 * elsewhere. {@link #awaitIdle} lets the server's stop begin only once no admitted request is in flight:
 * Helidon 4.5's stop interrupts a connection it believes idle, and one that has just read a request line is
 * then cut into a 500 ({@code Failed to wait for pipeline}); after the gate, such a request is only a 503.
 * Health and metrics stay served.
 */
public final class ShutdownGate implements Filter, AutoCloseable {
    private static final long RETRY_AFTER_SECONDS = 1;
    private static final String OBSERVE = "/observe/";

    private final AtomicInteger inFlight = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private volatile boolean closed;

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        // counted before the check, so that awaitIdle, which reads the count after close, misses no request
        inFlight.incrementAndGet();
        try {
            if (closed && !req.path().path().startsWith(OBSERVE)) {
                res.header(HeaderValues.CONNECTION_CLOSE);
                ProblemResponses.send(res, new ProblemMapper.Mapped(
                        Problem.of(503, "Service Unavailable", "The service is shutting down; retry on a new connection."),
                        RETRY_AFTER_SECONDS));
                return;
            }
            res.beforeSend(() -> {
                if (closed) {
                    res.header(HeaderValues.CONNECTION_CLOSE);
                }
            });
            chain.proceed();
        } finally {
            if (inFlight.decrementAndGet() == 0 && closed) {
                lock.lock();
                try {
                    idle.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Stops admitting requests (but health and metrics). */
    @Override
    public void close() {
        closed = true;
    }

    /**
     * Waits until no request is in flight, at most {@code timeout}.
     *
     * @return whether none is
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (inFlight.get() > 0) {
                if (left <= 0) {
                    return false;
                }
                left = idle.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
