package io.spindle.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Receives PostgreSQL notifications on a dedicated connection outside the pool, so a long LISTEN never
 * holds a pooled connection. When the connection is lost it reconnects by itself and tells the
 * {@link #onReconnect} callbacks, since notifications sent meanwhile are gone.
 */
public final class PgListener implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PgListener.class.getName());
    private static final int POLL_MILLIS = 250;

    private final String jdbcUrl;
    private final String username;
    private final String password;
    private final Duration reconnectDelay;
    private final Map<String, List<Consumer<String>>> handlers = new ConcurrentHashMap<>();
    private final List<Runnable> reconnectCallbacks = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile Thread thread;

    public PgListener(String jdbcUrl, String username, String password, Duration reconnectDelay) {
        this.jdbcUrl = jdbcUrl;
        this.username = username;
        this.password = password;
        this.reconnectDelay = reconnectDelay;
    }

    /** Registers a handler for a channel; register all before {@link #start()}. */
    public void on(String channel, Consumer<String> handler) {
        handlers.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(handler);
    }

    /** Runs after every reconnection (not after the first connection). */
    public void onReconnect(Runnable callback) {
        reconnectCallbacks.add(callback);
    }

    public void start() {
        thread = Thread.ofVirtual().name("pg-listener").start(this::run);
    }

    private void run() {
        boolean connectedBefore = false;
        boolean outageLogged = false;
        while (!closed) {
            try (Connection connection = DriverManager.getConnection(jdbcUrl, username, password)) {
                try (Statement st = connection.createStatement()) {
                    for (String channel : handlers.keySet()) {
                        st.execute("LISTEN " + channel);
                    }
                }
                if (connectedBefore) {
                    LOG.info("notification listener reconnected");
                    reconnectCallbacks.forEach(PgListener::runQuietly);
                }
                connectedBefore = true;
                outageLogged = false;
                PGConnection pg = connection.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
                    if (notifications != null) {
                        for (PGNotification n : notifications) {
                            dispatch(n.getName(), n.getParameter());
                        }
                    }
                }
            } catch (SQLException e) {
                if (closed) {
                    return;
                }
                if (!outageLogged) {
                    LOG.warning(() -> "notification listener lost its connection (" + e.getMessage()
                            + "); reconnecting every " + reconnectDelay.toMillis() + " ms");
                    outageLogged = true;
                }
                sleep(reconnectDelay);
            }
        }
    }

    private void dispatch(String channel, String payload) {
        for (Consumer<String> handler : handlers.getOrDefault(channel, List.of())) {
            try {
                handler.accept(payload);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "notification handler for " + channel + " failed", e);
            }
        }
    }

    private static void runQuietly(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reconnect callback failed", e);
        }
    }

    private void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        Thread t = thread;
        if (t != null) {
            t.join(Duration.ofMillis(POLL_MILLIS * 4L));
            if (t.isAlive()) {
                t.interrupt();
            }
        }
    }
}
