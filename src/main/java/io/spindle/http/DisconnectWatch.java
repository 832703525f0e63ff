package io.spindle.http;

import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.SocketTimeoutException;
import java.util.Optional;
import java.util.logging.Logger;

import io.helidon.common.buffers.DataReader;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;

/**
 * Notices at once that the client of an event stream closed its connection. A stream mostly waits for events,
 * and a write only fails one or two writes after the client left, which for a quiet topic means up to two
 * keep-alive intervals; meanwhile the subscription would count and take events for nobody.
 *
 * <p>Helidon 4.1 gives a handler no way to read its connection, so this finds the request's
 * {@link ConnectionContext} reflectively and reads on a virtual thread of its own until the client closes (end
 * of stream) or the connection breaks. That is safe because the connection's own thread is busy in the handler
 * and reads nothing meanwhile; what a client might send is kept in the connection's reader. The watch must be
 * stopped before the handler returns; stopping it closes the connection, which ends the stream's response
 * anyway. Where the context cannot be reached (another Helidon version, another protocol), there is no watch
 * and a gone client is noticed at the next write, as before.
 */
final class DisconnectWatch {
    private static final Logger LOG = Logger.getLogger(DisconnectWatch.class.getName());
    private static final ClassValue<Optional<Field>> CONTEXT_FIELD = new ClassValue<>() {
        @Override
        protected Optional<Field> computeValue(Class<?> type) {
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                for (Field field : c.getDeclaredFields()) {
                    if (ConnectionContext.class.isAssignableFrom(field.getType())) {
                        try {
                            field.setAccessible(true);
                            return Optional.of(field);
                        } catch (RuntimeException e) {
                            LOG.fine(() -> "no disconnect watch for " + type.getName() + ": " + e);
                            return Optional.empty();
                        }
                    }
                }
            }
            return Optional.empty();
        }
    };

    private final Thread thread;

    private DisconnectWatch(Thread thread) {
        this.thread = thread;
    }

    /**
     * Starts watching the request's connection; {@code onDisconnect} runs (on the watching thread) when the client
     * closes it or it breaks.
     *
     * @return the watch, or empty where the connection cannot be watched
     */
    static Optional<DisconnectWatch> start(ServerRequest req, Runnable onDisconnect) {
        Optional<DataReader> reader = reader(req);
        return reader.map(r -> new DisconnectWatch(Thread.ofVirtual().name("sse-disconnect-watch")
                                                           .start(() -> watch(r, onDisconnect))));
    }

    /** Stops watching: the connection is closed (interrupting a virtual thread's socket read closes the socket). */
    void stop() {
        if (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(java.time.Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void watch(DataReader reader, Runnable onDisconnect) {
        while (true) {
            try {
                reader.pullData();
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

    private static Optional<DataReader> reader(ServerRequest req) {
        try {
            Optional<Field> field = CONTEXT_FIELD.get(req.getClass());
            if (field.isEmpty()) {
                return Optional.empty();
            }
            ConnectionContext context = (ConnectionContext) field.get().get(req);
            return Optional.ofNullable(context).map(ConnectionContext::dataReader);
        } catch (IllegalAccessException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
