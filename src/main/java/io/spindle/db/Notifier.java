package io.spindle.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * Sends Spindle's notifications off the commit path. NOTIFY takes a database-wide lock when its transaction
 * commits, so notifying inside every enqueue or completion transaction serialises them all; instead, callers
 * hand items in after their commit and one sender coalesces whatever gathered into a single autocommit
 * statement. Items wait at most one round trip longer; a receiver that missed some (a listener that
 * reconnected) re-reads state anyway.
 *
 * <p>Each channel holds at most {@value #MAX_ITEMS} items; past that it collapses to the wildcard
 * {@value #EVERYTHING}, which tells receivers to re-check everything.
 */
public final class Notifier implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Notifier.class.getName());
    public static final String EVERYTHING = "*";
    static final int MAX_ITEMS = 10_000;
    private static final Duration RETRY_DELAY = Duration.ofMillis(500);

    private final Database db;
    private final String instance;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition handedIn = lock.newCondition();
    private Map<String, Set<String>> pending = new LinkedHashMap<>();
    private final Thread sender;
    private volatile boolean closed;

    public Notifier(Database db, String instance) {
        this.db = db;
        this.instance = instance;
        this.sender = Thread.ofVirtual().name("notifier").start(this::run);
    }

    /** Queues items for a channel; returns at once. */
    public void send(String channel, java.util.Collection<String> items) {
        if (items.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            Set<String> set = pending.computeIfAbsent(channel, c -> new LinkedHashSet<>());
            if (!set.contains(EVERYTHING)) {
                set.addAll(items);
                if (set.size() > MAX_ITEMS) {
                    set.clear();
                    set.add(EVERYTHING);
                }
            }
            handedIn.signal();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (true) {
            Map<String, Set<String>> batch;
            lock.lock();
            try {
                while (pending.isEmpty() && !closed) {
                    handedIn.await();
                }
                if (pending.isEmpty()) {
                    return;
                }
                batch = pending;
                pending = new LinkedHashMap<>();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            try {
                deliver(batch);
            } catch (RuntimeException | SQLException e) {
                LOG.fine(() -> "notifications not sent (" + e.getMessage() + "); retrying");
                batch.forEach(this::send);
                if (closed || !pause()) {
                    return;
                }
            }
        }
    }

    private void deliver(Map<String, Set<String>> batch) throws SQLException {
        List<String> channels = new ArrayList<>();
        List<String> payloads = new ArrayList<>();
        batch.forEach((channel, items) -> Notifications.payloads(instance, items).forEach(payload -> {
            channels.add(channel);
            payloads.add(payload);
        }));
        try (Connection c = db.connection()) {
            Notifications.send(c, channels, payloads);
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(RETRY_DELAY);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Sends what is pending, then stops. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        lock.lock();
        try {
            handedIn.signalAll();
        } finally {
            lock.unlock();
        }
        if (!sender.join(Duration.ofSeconds(3))) {
            sender.interrupt();
        }
    }
}
