package io.spindle.dispatch;

import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Logger;

import io.spindle.task.Queue;
import io.spindle.task.QueueStore;

/**
 * The dispatcher's view of queue configuration, read from the database at start, after every local change,
 * when another instance announces one, and on every dispatcher poll as a safety net.
 */
public final class QueueCatalog {
    private static final Logger LOG = Logger.getLogger(QueueCatalog.class.getName());

    private final QueueStore store;
    private final Consumer<Map<String, Queue>> onChange;
    private volatile Map<String, Queue> queues = Map.of();

    public QueueCatalog(QueueStore store, Consumer<Map<String, Queue>> onChange) {
        this.store = store;
        this.onChange = onChange;
    }

    /** Reloads; keeps the previous view if the database does not answer. */
    public void refresh() {
        try {
            Map<String, Queue> loaded = store.configs();
            if (!loaded.equals(queues)) {
                queues = loaded;
                onChange.accept(loaded);
            }
        } catch (RuntimeException e) {
            LOG.fine(() -> "queue catalog refresh failed: " + e);
        }
    }

    public Map<String, Queue> all() {
        return queues;
    }

    /** Whether the queue is paused as last read; a queue not read yet is not. */
    public boolean paused(String queue) {
        Queue known = queues.get(queue);
        return known != null && known.paused();
    }
}
