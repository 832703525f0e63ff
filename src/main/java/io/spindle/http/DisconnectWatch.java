package io.spindle.http;

import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

import io.helidon.common.buffers.DataReader;

/**
 * Notices at once that the client of an event stream closed its connection. A stream mostly waits for events,
 * and a write only fails one or two writes after the client left, which for a quiet topic means up to two
 * keep-alive intervals; meanwhile the subscription would count and take events for nobody. Helidon 4.5 still
 * tells a handler nothing when its client leaves (no close listener on the request, the response or the sink).
 *
 * <p>So this reads the connection (which {@link EventStreamSink} gets from Helidon's sink SPI) on a virtual thread
 * of its own until the client closes it (end of stream) or it breaks. That is safe because the connection's own
 * thread is busy in the handler and reads nothing meanwhile; what a client might send is kept in the connection's
 * reader. The watch must be stopped before the handler returns; stopping it closes the connection, which ends
 * the stream's response anyway.
 */
final class DisconnectWatch {
    private final Thread thread;

    private DisconnectWatch(Thread thread) {
        this.thread = thread;
    }

    /** Starts watching; {@code onDisconnect} runs (on the watching thread) when the client closes or it breaks. */
    static DisconnectWatch start(DataReader connection, Runnable onDisconnect) {
        return new DisconnectWatch(Thread.ofVirtual().name("sse-disconnect-watch")
                                           .start(() -> watch(connection, onDisconnect)));
    }

    /** Stops watching: the connection is closed (interrupting a virtual thread's socket read closes the socket). */
    void stop() {
        if (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void watch(DataReader connection, Runnable onDisconnect) {
        while (true) {
            try {
                connection.pullData();
                return; // the client sent something: it is there; the bytes stay for the connection
            } catch (UncheckedIOException e) {
                if (e.getCause() instanceof SocketTimeoutException && !Thread.currentThread().isInterrupted()) {
                    continue; // the socket's read timeout, not a closed connection
                }
                onDisconnect.run();
                return;
            } catch (RuntimeException e) {
                onDisconnect.run(); // end of stream, or a broken connection
                return;
            }
        }
    }
}
