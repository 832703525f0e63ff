package io.spindle.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spindle.db.Database;
import io.spindle.error.SpindleException;

/**
 * The SQL home of queues: their configuration and their statistics.
 */
public final class QueueStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String QUEUE_COLUMNS = """
            q.name, q.handler::text AS handler, q.max_concurrent,
            coalesce(q.rate_permits, 0) AS rate_permits, coalesce(q.rate_period_ms, 0) AS rate_period_ms,
            q.max_attempts, q.min_backoff_ms, q.max_backoff_ms, q.retention_ms, q.paused,
            coalesce(q.key_concurrency, 0) AS key_concurrency""";

    private static final String SELECT_CONFIG = "SELECT " + QUEUE_COLUMNS + " FROM queues q";

    /**
     * Stats without counting history: the state counts are the sums of the queue's few {@code queue_counts} rows;
     * only pending tasks not yet due are counted (through {@code tasks_pending_run}, usually few), and the
     * oldest due one is the first entry of that index. All in one snapshot, so the figures agree.
     */
    private static final String SELECT_WITH_STATS = "SELECT " + QUEUE_COLUMNS + """
            ,
                   c.pending - s.scheduled AS pending, s.scheduled, c.running, c.succeeded, c.failed, c.cancelled,
                   coalesce((extract(epoch FROM now() - o.oldest) * 1000)::bigint, 0) AS oldest_pending_ms
            FROM queues q
            CROSS JOIN LATERAL (%s) c
            CROSS JOIN LATERAL (
                SELECT count(*) AS scheduled FROM tasks t
                WHERE t.queue = q.name AND t.state = 'pending' AND t.attempts >= 0 AND t.run_at > now()
            ) s
            CROSS JOIN LATERAL (
                SELECT min(t.run_at) AS oldest FROM tasks t
                WHERE t.queue = q.name AND t.state = 'pending' AND t.attempts >= 0 AND t.run_at <= now()
            ) o
            """.formatted(QueueCounts.SUMS);

    /** One queue with its stats (package-private: a test EXPLAINs it). */
    static final String SELECT_ONE = SELECT_WITH_STATS + " WHERE q.name = ?";

    /**
     * Also gives a new queue its {@code queue_flow} row. A queue that bounds keys gets the empty key (meaning no
     * key) on its unfinished tasks without one, so that its claim, which walks the keys, finds them too; enqueues
     * into a keyed queue store the empty key themselves.
     */
    private static final String UPSERT = """
            WITH saved AS (
                INSERT INTO queues (name, handler, max_concurrent, rate_permits, rate_period_ms,
                                    max_attempts, min_backoff_ms, max_backoff_ms, retention_ms, paused, key_concurrency)
                VALUES (?, CAST(? AS jsonb), ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET
                    handler = excluded.handler, max_concurrent = excluded.max_concurrent,
                    rate_permits = excluded.rate_permits, rate_period_ms = excluded.rate_period_ms,
                    max_attempts = excluded.max_attempts, min_backoff_ms = excluded.min_backoff_ms,
                    max_backoff_ms = excluded.max_backoff_ms, retention_ms = excluded.retention_ms,
                    paused = excluded.paused, key_concurrency = excluded.key_concurrency, updated_at = now()
                RETURNING (xmax = 0) AS inserted, name, key_concurrency
            ), flow AS (
                INSERT INTO queue_flow (queue) SELECT name FROM saved ON CONFLICT (queue) DO NOTHING
            ), unkeyed AS (
                UPDATE tasks t SET concurrency_key = ''
                FROM saved s
                WHERE s.key_concurrency IS NOT NULL AND t.queue = s.name AND t.state IN ('pending', 'running')
                  AND t.concurrency_key IS NULL
            )
            SELECT inserted FROM saved
            """;

    private final Database db;

    public QueueStore(Database db) {
        this.db = db;
    }

    /** Whether {@link #save} created the queue or replaced an existing one. */
    public enum Saved { CREATED, REPLACED }

    public Saved save(Queue queue) {
        boolean inserted = db.run(c -> Database.list(c, UPSERT, row -> row.getBoolean("inserted"),
                        queue.name(),
                        queue.handler().toJson().toString(),
                        queue.maxConcurrent(),
                        queue.rate().map(Queue.Rate::permits).orElse(null),
                        queue.rate().map(r -> r.period().toMillis()).orElse(null),
                        queue.retry().maxAttempts(),
                        queue.retry().minBackoff().toMillis(),
                        queue.retry().maxBackoff().toMillis(),
                        queue.retention().toMillis(),
                        queue.paused(),
                        queue.keyConcurrency().orElse(null)).getFirst());
        return inserted ? Saved.CREATED : Saved.REPLACED;
    }

    public Optional<QueueView> find(String name) {
        return db.first(SELECT_ONE, QueueStore::view, name);
    }

    public boolean exists(String name) {
        return db.first("SELECT 1 FROM queues WHERE name = ?", row -> true, name).isPresent();
    }

    public QueueView get(String name) {
        return find(name).orElseThrow(() -> notFound(name));
    }

    public List<QueueView> list() {
        return db.list(SELECT_WITH_STATS + " ORDER BY q.name", QueueStore::view);
    }

    /** Every queue's configuration, without statistics. */
    public Map<String, Queue> configs() {
        Map<String, Queue> configs = new LinkedHashMap<>();
        for (Queue queue : db.list(SELECT_CONFIG + " ORDER BY q.name", QueueStore::queue)) {
            configs.put(queue.name(), queue);
        }
        return configs;
    }

    public QueueView setPaused(String name, boolean paused) {
        int updated = db.update("UPDATE queues SET paused = ?, updated_at = now() WHERE name = ?", paused, name);
        if (updated == 0) {
            throw notFound(name);
        }
        return get(name);
    }

    /**
     * Deletes a queue that holds no pending or running task, with its finished tasks. The queue row is
     * locked first, so an enqueue racing the delete either commits before the check sees it or fails after.
     */
    public void delete(String name) {
        db.inTransaction(c -> {
            if (Database.list(c, "SELECT name FROM queues WHERE name = ? FOR UPDATE", row -> true, name).isEmpty()) {
                throw notFound(name);
            }
            int deleted = Database.update(c, """
                    DELETE FROM queues q WHERE q.name = ?
                    AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.queue = q.name AND t.state = 'pending')
                    AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.queue = q.name AND t.state = 'running')
                    """, name);
            if (deleted == 0) {
                throw new SpindleException.Conflict("Queue '" + name + "' still has pending or running tasks.");
            }
            // after the cascade to tasks: a statement that changed one of its tasks has committed by now
            Database.update(c, "DELETE FROM queue_counts WHERE queue = ?", name);
        });
    }

    public static SpindleException.NotFound notFound(String name) {
        return new SpindleException.NotFound("Queue '" + name + "' does not exist.");
    }

    private static QueueView view(ResultSet row) throws SQLException {
        QueueStats stats = new QueueStats(
                row.getLong("pending"), row.getLong("scheduled"), row.getLong("running"),
                row.getLong("succeeded"), row.getLong("failed"), row.getLong("cancelled"),
                Duration.ofMillis(row.getLong("oldest_pending_ms")));
        return new QueueView(queue(row), stats);
    }

    private static Queue queue(ResultSet row) throws SQLException {
        int permits = row.getInt("rate_permits");
        Optional<Queue.Rate> rate = permits == 0
                ? Optional.empty()
                : Optional.of(new Queue.Rate(permits, Duration.ofMillis(row.getLong("rate_period_ms"))));
        return new Queue(
                row.getString("name"),
                HandlerSpec.fromStored(parse(row.getString("handler"))),
                row.getInt("max_concurrent"),
                rate,
                new Queue.RetryPolicy(row.getInt("max_attempts"),
                                      Duration.ofMillis(row.getLong("min_backoff_ms")),
                                      Duration.ofMillis(row.getLong("max_backoff_ms"))),
                Duration.ofMillis(row.getLong("retention_ms")),
                row.getBoolean("paused"),
                Optional.of(row.getInt("key_concurrency")).filter(k -> k > 0));
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored handler is not JSON", e);
        }
    }
}
