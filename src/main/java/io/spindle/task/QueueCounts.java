package io.spindle.task;

/**
 * The SQL that keeps {@code queue_counts} in step with {@code tasks}: a CTE each state-changing statement
 * carries, so the counts change in the same statement (and commit) as the rows they count. Each statement adds
 * to the row of the backend it runs on ({@code slot = pg_backend_pid()}); no two open transactions share a
 * backend, so writers never wait for each other's row locks. A queue's counts are the sum of its rows; see
 * {@code V3__queue_counts.sql} and docs/architecture.md#task-counts. Public for the stores of other packages that
 * create tasks (schedules).
 */
public final class QueueCounts {
    private static final String ADJUST = """
            counted AS (
                INSERT INTO queue_counts AS qc (queue, slot, pending, running, succeeded, failed, cancelled)
                SELECT m.queue, pg_backend_pid(),
                       count(*) FILTER (WHERE m.now = 'pending') - count(*) FILTER (WHERE m.was = 'pending'),
                       count(*) FILTER (WHERE m.now = 'running') - count(*) FILTER (WHERE m.was = 'running'),
                       count(*) FILTER (WHERE m.now = 'succeeded') - count(*) FILTER (WHERE m.was = 'succeeded'),
                       count(*) FILTER (WHERE m.now = 'failed') - count(*) FILTER (WHERE m.was = 'failed'),
                       count(*) FILTER (WHERE m.now = 'cancelled') - count(*) FILTER (WHERE m.was = 'cancelled')
                FROM (%s) AS m(queue, was, now)
                GROUP BY m.queue
                ON CONFLICT (queue, slot) DO UPDATE SET
                    pending = qc.pending + excluded.pending, running = qc.running + excluded.running,
                    succeeded = qc.succeeded + excluded.succeeded, failed = qc.failed + excluded.failed,
                    cancelled = qc.cancelled + excluded.cancelled
            )""";

    /** A queue's counts: the sum of its rows (a few: one per backend that wrote, and the folded row 0). */
    static final String SUMS = """
            SELECT coalesce(sum(c.pending), 0) AS pending, coalesce(sum(c.running), 0) AS running,
                   coalesce(sum(c.succeeded), 0) AS succeeded, coalesce(sum(c.failed), 0) AS failed,
                   coalesce(sum(c.cancelled), 0) AS cancelled
            FROM queue_counts c WHERE c.queue = q.name""";

    /**
     * Folds the rows of backends that are gone into each queue's row 0, in one statement (what it deletes it
     * adds, so the sums never change). Queues in name order, so two instances folding at once cannot deadlock.
     */
    static final String FOLD = """
            WITH gone AS (
                DELETE FROM queue_counts c
                WHERE c.slot <> 0 AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = c.slot)
                RETURNING c.*
            )
            INSERT INTO queue_counts AS qc (queue, slot, pending, running, succeeded, failed, cancelled)
            SELECT queue, 0, sum(pending), sum(running), sum(succeeded), sum(failed), sum(cancelled)
            FROM gone GROUP BY queue ORDER BY queue
            ON CONFLICT (queue, slot) DO UPDATE SET
                pending = qc.pending + excluded.pending, running = qc.running + excluded.running,
                succeeded = qc.succeeded + excluded.succeeded, failed = qc.failed + excluded.failed,
                cancelled = qc.cancelled + excluded.cancelled
            """;

    private QueueCounts() {
    }

    /**
     * The CTE {@code counted} that adds the moves a statement made: {@code moves} is a query of rows
     * {@code (queue, was, now)}, one per task, {@code was} null for a created task and {@code now} null for a
     * deleted one.
     */
    public static String adjust(String moves) {
        return ADJUST.formatted(moves);
    }
}
