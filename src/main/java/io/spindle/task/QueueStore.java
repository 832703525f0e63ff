package io.spindle.task;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;

/**
 * The SQL home of queues: their configuration and their statistics.
 */
public final class QueueStore {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String QUEUE_COLUMNS = """
            q.name, q.handler::text AS handler, q.max_concurrent,
            coalesce(q.rate_permits, 0) AS rate_permits, coalesce(q.rate_period_ms, 0) AS rate_period_ms,
            q.max_attempts, q.min_backoff_ms, q.max_backoff_ms, q.retention_ms, q.paused""";

    private static final String SELECT_CONFIG = "SELECT " + QUEUE_COLUMNS + " FROM queues q";

    private static final String SELECT_WITH_STATS = "SELECT " + QUEUE_COLUMNS + """
            ,
                   s.pending, s.scheduled, s.running, s.succeeded, s.failed, s.cancelled,
                   coalesce(s.oldest_pending_ms, 0) AS oldest_pending_ms
            FROM queues q
            CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE t.state = 'pending' AND t.run_at <= now()) AS pending,
                       count(*) FILTER (WHERE t.state = 'pending' AND t.run_at > now()) AS scheduled,
                       count(*) FILTER (WHERE t.state = 'running') AS running,
                       count(*) FILTER (WHERE t.state = 'succeeded') AS succeeded,
                       count(*) FILTER (WHERE t.state = 'failed') AS failed,
                       count(*) FILTER (WHERE t.state = 'cancelled') AS cancelled,
                       (extract(epoch FROM now() - min(t.run_at)
                            FILTER (WHERE t.state = 'pending' AND t.run_at <= now())) * 1000)::bigint
                           AS oldest_pending_ms
                FROM tasks t
                WHERE t.queue = q.name
            ) s
            """;

    private static final String UPSERT = """
            INSERT INTO queues (name, handler, max_concurrent, rate_permits, rate_period_ms,
                                max_attempts, min_backoff_ms, max_backoff_ms, retention_ms, paused)
            VALUES (?, CAST(? AS jsonb), ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET
                handler = excluded.handler, max_concurrent = excluded.max_concurrent,
                rate_permits = excluded.rate_permits, rate_period_ms = excluded.rate_period_ms,
                max_attempts = excluded.max_attempts, min_backoff_ms = excluded.min_backoff_ms,
                max_backoff_ms = excluded.max_backoff_ms, retention_ms = excluded.retention_ms,
                paused = excluded.paused, updated_at = now()
            RETURNING (xmax = 0) AS inserted
            """;

    private final DbClient db;

    public QueueStore(DbClient db) {
        this.db = db;
    }

    /** Whether {@link #save} created the queue or replaced an existing one. */
    public enum Saved { CREATED, REPLACED }

    public Saved save(Queue queue) {
        DbRow row = db.execute().get(UPSERT,
                        queue.name(),
                        queue.handler().toJson().toString(),
                        queue.maxConcurrent(),
                        queue.rate().map(Queue.Rate::permits).orElse(null),
                        queue.rate().map(r -> r.period().toMillis()).orElse(null),
                        queue.retry().maxAttempts(),
                        queue.retry().minBackoff().toMillis(),
                        queue.retry().maxBackoff().toMillis(),
                        queue.retention().toMillis(),
                        queue.paused())
                .orElseThrow();
        return row.column("inserted").get(Boolean.class) ? Saved.CREATED : Saved.REPLACED;
    }

    public Optional<QueueView> find(String name) {
        return db.execute().get(SELECT_WITH_STATS + " WHERE q.name = ?", name).map(QueueStore::view);
    }

    public boolean exists(String name) {
        return db.execute().get("SELECT 1 AS found FROM queues WHERE name = ?", name).isPresent();
    }

    public QueueView get(String name) {
        return find(name).orElseThrow(() -> notFound(name));
    }

    public List<QueueView> list() {
        try (Stream<DbRow> rows = db.execute().query(SELECT_WITH_STATS + " ORDER BY q.name")) {
            return rows.map(QueueStore::view).toList();
        }
    }

    /** Every queue's configuration, without statistics. */
    public java.util.Map<String, Queue> configs() {
        try (Stream<DbRow> rows = db.execute().query(SELECT_CONFIG + " ORDER BY q.name")) {
            var map = new java.util.LinkedHashMap<String, Queue>();
            rows.forEach(row -> {
                Queue queue = queue(row);
                map.put(queue.name(), queue);
            });
            return map;
        }
    }

    public QueueView setPaused(String name, boolean paused) {
        long updated = db.execute().dml("UPDATE queues SET paused = ?, updated_at = now() WHERE name = ?", paused, name);
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
        DbTransaction tx = db.transaction();
        try {
            if (tx.get("SELECT name FROM queues WHERE name = ? FOR UPDATE", name).isEmpty()) {
                throw notFound(name);
            }
            long deleted = tx.dml("""
                    DELETE FROM queues q WHERE q.name = ?
                    AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.queue = q.name AND t.state IN ('pending', 'running'))
                    """, name);
            if (deleted == 0) {
                throw new SpindleException.Conflict("Queue '" + name + "' still has pending or running tasks.");
            }
            tx.commit();
        } catch (RuntimeException e) {
            tx.rollback();
            throw e;
        }
    }

    public static SpindleException.NotFound notFound(String name) {
        return new SpindleException.NotFound("Queue '" + name + "' does not exist.");
    }

    private static QueueView view(DbRow row) {
        QueueStats stats = new QueueStats(
                longOf(row, "pending"), longOf(row, "scheduled"), longOf(row, "running"),
                longOf(row, "succeeded"), longOf(row, "failed"), longOf(row, "cancelled"),
                Duration.ofMillis(longOf(row, "oldest_pending_ms")));
        return new QueueView(queue(row), stats);
    }

    private static Queue queue(DbRow row) {
        int permits = (int) longOf(row, "rate_permits");
        Optional<Queue.Rate> rate = permits == 0
                ? Optional.empty()
                : Optional.of(new Queue.Rate(permits, Duration.ofMillis(longOf(row, "rate_period_ms"))));
        return new Queue(
                row.column("name").get(String.class),
                HandlerSpec.fromStored(parse(row.column("handler").get(String.class))),
                (int) longOf(row, "max_concurrent"),
                rate,
                new Queue.RetryPolicy((int) longOf(row, "max_attempts"),
                                      Duration.ofMillis(longOf(row, "min_backoff_ms")),
                                      Duration.ofMillis(longOf(row, "max_backoff_ms"))),
                Duration.ofMillis(longOf(row, "retention_ms")),
                row.column("paused").get(Boolean.class));
    }

    private static long longOf(DbRow row, String column) {
        return ((Number) row.column(column).get()).longValue();
    }

    private static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored handler is not JSON", e);
        }
    }
}
