package io.spindle.http;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.task.InterruptableTask;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import io.spindle.http.ConnectionRules.Phase;
import io.spindle.http.ConnectionRules.Reason;
import io.spindle.http.ConnectionRules.Stage;

/**
 * One accepted HTTP/1 connection under the {@link ConnectionGuard}: admitted or refused before it reads a byte,
 * then followed through its request cycle (its reads, and the headers and status Helidon's listeners report),
 * so that the guard's reaper can cut it when {@link ConnectionRules} say so.
 *
 * <p>A cut writes the 408 and closes the socket from the reaper's side; the connection's own thread, blocked in
 * a read of the socket, then fails and ends the connection. That write cannot cross one of the connection's own:
 * it only happens while the connection reads a request or waits for one, when the server is writing nothing.
 */
final class GuardedConnection implements ServerConnection, InterruptableTask<Void> {
    private final ConnectionContext accepted;
    private final ObservedContext observed;
    private final ServerConnection delegate;
    private final ConnectionGuard guard;
    private final LongSupplier clock;
    private final AtomicReference<Phase> phase;
    private final AtomicLong received = new AtomicLong();
    private volatile boolean waitingForBytes;
    private volatile Reason cutFor;

    GuardedConnection(ConnectionContext accepted, ServerConnectionSelector http1, ConnectionGuard guard,
                      LongSupplier clock) {
        this.accepted = accepted;
        this.guard = guard;
        this.clock = clock;
        this.phase = new AtomicReference<>(new Phase(Stage.HEADERS, clock.getAsLong(), 0));
        this.observed = new ObservedContext(accepted, this, this::read);
        this.delegate = http1.connection(observed);
    }

    @Override
    public void handle(Limit limit) throws InterruptedException {
        if (!guard.admit(this)) {
            return; // Helidon's connection handler closes the socket
        }
        try {
            delegate.handle(limit);
        } finally {
            guard.release(this);
        }
    }

    /** The client's address, which the per-client bound counts by. */
    InetAddress remoteAddress() {
        return accepted.remotePeer().address() instanceof InetSocketAddress inet
                ? inet.getAddress() : InetAddress.getLoopbackAddress();
    }

    /** A request's headers are read: its body comes next, if it has one, else its handler. */
    void headersReceived(Headers headers) {
        long now = clock.getAsLong();
        Phase next = hasBody(headers)
                ? new Phase(Stage.BODY, now, received.get() - observed.dataReader().available())
                : new Phase(Stage.HANDLING, now, received.get());
        phase.updateAndGet(current -> current.stage() == Stage.CUT ? current : next);
    }

    /** The response's status is sent: the request's body, if any, no longer counts against the client. */
    void statusSent() {
        long now = clock.getAsLong();
        phase.updateAndGet(current -> current.stage() == Stage.CUT
                ? current : new Phase(Stage.RESPONDING, now, received.get()));
    }

    /**
     * Applies the rules now; a connection they condemn is marked cut (only once, and only if it is still where
     * the rules saw it) and its reason returned, for the caller to {@link #answerAndClose} it.
     */
    Optional<Reason> check(ConnectionRules rules, long nowNanos) {
        Phase seen = phase.get();
        Optional<Reason> verdict = rules.verdict(seen, nowNanos, received.get(), waitingForBytes);
        if (verdict.isPresent() && phase.compareAndSet(seen, Phase.CUT)) {
            cutFor = verdict.get();
            return verdict;
        }
        return Optional.empty();
    }

    /** Tells a client that was too slow (408) and closes the socket. */
    void answerAndClose(Reason reason, byte[] answer) {
        var socket = accepted.serverSocket();
        if (reason.answered()) {
            try {
                socket.write(BufferData.create(answer));
            } catch (RuntimeException e) {
                // the client is gone already
            }
        }
        try {
            socket.close();
        } catch (UncheckedIOException e) {
            // closed meanwhile, by the client or by the connection's own thread: what the cut wanted
        }
    }

    /** The raw 408 the reaper writes: the request was not read, so no routing, only the bytes. */
    static byte[] timeoutResponse(String detail) {
        byte[] body = Json.write(Problem.of(408, "Request Timeout", detail));
        String head = "HTTP/1.1 408 Request Timeout\r\n"
                + "Content-Type: application/problem+json\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(body, 0, all, headBytes.length, body.length);
        return all;
    }

    @Override
    public boolean canInterrupt() {
        return delegate instanceof InterruptableTask<?> task && task.canInterrupt();
    }

    @Override
    public Duration idleTime() {
        return delegate.idleTime();
    }

    @Override
    public void close(boolean interrupt) {
        delegate.close(interrupt);
    }

    /** Every read of the connection, whoever makes it (the connection's thread, or an event stream's watch). */
    private byte[] read() {
        long now = clock.getAsLong();
        phase.updateAndGet(current -> awaitsNextRequest(current)
                ? new Phase(observed.dataReader().available() > 0 ? Stage.HEADERS : Stage.WAITING, now, received.get())
                : current);
        byte[] bytes;
        waitingForBytes = true;
        try {
            bytes = accepted.serverSocket().get();
        } catch (UncheckedIOException e) {
            throw cutOr(new ServerConnectionException("Failed to get data from socket", e));
        } catch (RuntimeException e) {
            throw cutOr(e);
        } finally {
            waitingForBytes = false;
        }
        if (cutFor != null) {
            throw closedByGuard();
        }
        if (bytes != null) {
            long total = received.addAndGet(bytes.length);
            long at = clock.getAsLong();
            phase.updateAndGet(current -> current.stage() == Stage.WAITING ? new Phase(Stage.HEADERS, at, total) : current);
        }
        return bytes;
    }

    /** After a response, the connection's own thread reads again only for the next request's line. */
    private boolean awaitsNextRequest(Phase current) {
        return (current.stage() == Stage.HANDLING || current.stage() == Stage.RESPONDING) && canInterrupt();
    }

    /** A read that failed because the reaper cut the connection ends it quietly; any other failure as it was. */
    private RuntimeException cutOr(RuntimeException failure) {
        return cutFor == null ? failure : closedByGuard();
    }

    private CloseConnectionException closedByGuard() {
        return new CloseConnectionException("connection cut by the guard: " + cutFor.tag());
    }

    private static boolean hasBody(Headers headers) {
        if (headers.contains(HeaderNames.TRANSFER_ENCODING)) {
            return true;
        }
        try {
            return headers.contentLength().orElse(0) > 0;
        } catch (IllegalArgumentException e) {
            return false; // Helidon refuses the request itself
        }
    }
}
