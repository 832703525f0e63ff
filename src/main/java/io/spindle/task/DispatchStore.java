package io.spindle.task;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.spindle.db.Database;

/**
 * The SQL home of dispatch: claiming due tasks under leases, writing the ends of attempts, returning tasks to
 * pending, finding and rescuing expired leases and deleting finished tasks past retention. Every state change
 * is one statement guarded by the state (and attempt) it expects, so two instances can never both finish one
 * attempt; the statements only return the rows they changed, and the caller hands those to the task
 * transitions. Plain JDBC on the pool: these statements bind arrays and run in batches.
 */
public final class DispatchStore {

    /**
     * Each wanted queue is searched in turn (highest priority, then earliest runAt first) up to its own cap,
     * and the outer LIMIT stops the search once the free workers are covered, so rows are locked only as
     * they are taken. The claim commits without waiting for its WAL to reach the disk ({@code set_config} of
     * {@code synchronous_commit}, local to this statement's transaction): a claim lost in a database crash
     * leaves its tasks pending, to run again as after an expired lease, which at-least-once allows; the
     * attempt's end, written with a synchronous commit, flushes the claim's WAL before it. This takes one
     * disk flush off every wake-up and half of the drain's.
     */
    private static final String CLAIM = """
            WITH wanted AS (
                SELECT * FROM unnest(?::text[], ?::int[], ?::bigint[]) WITH ORDINALITY AS w(queue, n, lease_ms, ord)
            ), picked AS (
                SELECT p.id, w.lease_ms
                FROM wanted w CROSS JOIN LATERAL (
                    SELECT t.id FROM tasks t
                    WHERE t.queue = w.queue AND t.state = 'pending' AND t.run_at <= now()
                    ORDER BY t.priority DESC, t.run_at, t.id
                    LIMIT w.n
                    FOR UPDATE SKIP LOCKED
                ) p
                LIMIT ?
            ), claimed AS (
                UPDATE tasks t SET state = 'running', attempts = t.attempts + 1, lease_owner = ?,
                                   lease_until = now() + p.lease_ms * interval '1 millisecond', updated_at = now()
                FROM picked p
                WHERE t.id = p.id
                RETURNING %s
            ), %s
            SELECT c.*, n.next_run_at, n.db_now
            FROM (SELECT min(run_at) AS next_run_at, now() AS db_now,
                         set_config('synchronous_commit', 'off', true) AS commit_mode
                  FROM tasks WHERE state = 'pending' AND attempts >= 0 AND run_at > now()) n
            LEFT JOIN claimed c ON true
            """.formatted(TaskRows.columns("t."), QueueCounts.adjust("SELECT queue, 'pending', state FROM claimed"));

    /**
     * An attempt's end is written only while that attempt is still current (running, same attempt number); a
     * rescue also requires the lease to be expired still, so a task whose attempt reported meanwhile, or was
     * handed back and claimed again, is left alone. Package-private for CompletionCostTest, which explains it.
     */
    static final String END_ATTEMPTS = """
            WITH ended AS (
                UPDATE tasks t SET
                    state = c.state,
                    result = c.result::json,
                    last_error = c.error,
                    run_at = CASE WHEN c.state = 'pending' THEN now() + c.delay_ms * interval '1 millisecond' ELSE t.run_at END,
                    finished_at = CASE WHEN c.state = 'pending' THEN NULL ELSE now() END,
                    lease_owner = NULL, lease_until = NULL, updated_at = now()
                FROM unnest(?::bigint[], ?::int[], ?::text[], ?::text[], ?::text[], ?::bigint[])
                     AS c(id, attempt, state, result, error, delay_ms)
                WHERE t.id = c.id AND t.state = 'running' AND t.attempts = c.attempt
                  AND (NOT ?::boolean OR t.lease_until < now())
                RETURNING %s
            ), %s
            SELECT * FROM ended
            """.formatted(TaskRows.columns("t."), QueueCounts.adjust("SELECT queue, 'running', state FROM ended"));

    private static final String RELEASE = """
            WITH released AS (
                UPDATE tasks t SET state = 'pending', attempts = t.attempts - 1, lease_owner = NULL, lease_until = NULL,
                                   updated_at = now()
                FROM unnest(?::bigint[], ?::int[]) AS r(id, attempt)
                WHERE t.id = r.id AND t.state = 'running' AND t.attempts = r.attempt AND t.lease_owner = ?
                RETURNING %s
            ), %s
            SELECT * FROM released
            """.formatted(TaskRows.columns("t."), QueueCounts.adjust("SELECT queue, 'running', state FROM released"));

    /** Only reads: what to do with each expired lease is decided in Java and written by {@link #END_ATTEMPTS}. */
    private static final String EXPIRED = """
            SELECT %s, coalesce(t.lease_owner, '?') AS lease_owner,
                   q.max_attempts AS queue_max_attempts, q.min_backoff_ms, q.max_backoff_ms
            FROM tasks t JOIN queues q ON q.name = t.queue
            WHERE t.state = 'running' AND t.lease_until < now()
            ORDER BY t.lease_until
            LIMIT ?
            """.formatted(TaskRows.columns("t."));

    private static final String SWEEP = """
            WITH gone AS (
                DELETE FROM tasks WHERE id IN (
                    SELECT t.id FROM tasks t JOIN queues q ON q.name = t.queue
                    WHERE t.finished_at IS NOT NULL AND t.finished_at < now() - q.retention_ms * interval '1 millisecond'
                    LIMIT ? FOR UPDATE OF t SKIP LOCKED
                )
                RETURNING queue, state
            ), %s
            SELECT count(*) AS deleted FROM gone
            """.formatted(QueueCounts.adjust("SELECT queue, state, NULL FROM gone"));

    private final Database db;
    private final String instance;

    /** @param instance this instance's id: the lease owner */
    public DispatchStore(Database db, String instance) {
        this.db = db;
        this.instance = instance;
    }

    /** How many tasks of a queue to claim, and the lease each gets. */
    public record Want(String queue, int count, Duration lease) {
    }

    /**
     * What a claim found: the tasks now running under this owner's lease, and, when fewer were found than
     * wanted, the next {@code runAt} of any pending task, measured on the database's clock.
     */
    public record Claim(List<Task> tasks, Optional<Duration> nextDueIn) {
    }

    /**
     * Claims due tasks: at most {@code want.count()} of each queue (searched in the given order) and at most
     * {@code total} in all. One statement: it also reads when the next pending task falls due, on the same
     * snapshot and clock, so a task that falls due meanwhile is never missed.
     */
    public Claim claim(List<Want> wants, int total) {
        return db.run(c -> claim(c, wants, total));
    }

    private Claim claim(Connection c, List<Want> wants, int total) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(CLAIM)) {
            st.setArray(1, c.createArrayOf("text", wants.stream().map(Want::queue).toArray()));
            st.setArray(2, c.createArrayOf("int4", wants.stream().map(Want::count).toArray()));
            st.setArray(3, c.createArrayOf("int8", wants.stream().map(w -> w.lease().toMillis()).toArray()));
            st.setInt(4, total);
            st.setString(5, instance);
            List<Task> tasks = new ArrayList<>(total);
            Optional<Duration> next = Optional.empty();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    if (rs.getObject("id") != null) {
                        tasks.add(TaskRows.of(rs));
                    }
                    Timestamp nextRunAt = rs.getTimestamp("next_run_at");
                    if (nextRunAt != null) {
                        Duration until = Duration.between(rs.getTimestamp("db_now").toInstant(), nextRunAt.toInstant());
                        next = Optional.of(until.isNegative() ? Duration.ZERO : until);
                    }
                }
            }
            return new Claim(tasks, next);
        }
    }

    /**
     * Writes the ends of attempts in one statement. Returns the tasks as they now are; ends of attempts that
     * are no longer current are absent.
     */
    public List<Task> complete(List<Completion> completions) {
        return endAttempts(completions, false);
    }

    /** A running task whose lease expired, with what the retry decision needs to know about it. */
    public record ExpiredLease(Task task, String owner, Queue.RetryPolicy policy) {
    }

    /** Up to {@code limit} running tasks whose lease expired, the longest expired first. Writes nothing. */
    public List<ExpiredLease> expiredLeases(int limit) {
        return db.list(EXPIRED, rs -> new ExpiredLease(TaskRows.of(rs), rs.getString("lease_owner"), new Queue.RetryPolicy(
                rs.getInt("queue_max_attempts"), Duration.ofMillis(rs.getLong("min_backoff_ms")),
                Duration.ofMillis(rs.getLong("max_backoff_ms")))), limit);
    }

    /**
     * Writes the decided ends of expired attempts, each only if its lease is still expired and its attempt
     * current; returns the tasks rescued, as they now are (another instance may have rescued the rest).
     */
    public List<Task> rescue(List<Completion> decided) {
        return endAttempts(decided, true);
    }

    private List<Task> endAttempts(List<Completion> completions, boolean rescue) {
        return db.run(c -> Database.list(c, END_ATTEMPTS, TaskRows::of, endAttemptsParameters(c, completions, rescue)));
    }

    /** The parameters of {@link #END_ATTEMPTS} for these ends: one array a column, and whether they are rescues. */
    static Object[] endAttemptsParameters(Connection c, List<Completion> completions, boolean rescue) throws SQLException {
        int n = completions.size();
        Object[] ids = new Object[n];
        Object[] attempts = new Object[n];
        Object[] states = new Object[n];
        Object[] results = new Object[n];
        Object[] errors = new Object[n];
        Object[] delays = new Object[n];
        for (int i = 0; i < n; i++) {
            Completion completion = completions.get(i);
            ids[i] = completion.taskId();
            attempts[i] = completion.attempt();
            delays[i] = 0L;
            switch (completion.end()) {
                case AttemptEnd.Succeeded succeeded -> {
                    states[i] = TaskState.SUCCEEDED.dbName();
                    results[i] = succeeded.resultJson();
                }
                case AttemptEnd.Retry retry -> {
                    states[i] = TaskState.PENDING.dbName();
                    errors[i] = retry.error();
                    delays[i] = retry.delay().toMillis();
                }
                case AttemptEnd.Failed failed -> {
                    states[i] = TaskState.FAILED.dbName();
                    errors[i] = failed.error();
                }
            }
        }
        return new Object[]{c.createArrayOf("int8", ids), c.createArrayOf("int4", attempts), c.createArrayOf("text", states),
                            c.createArrayOf("text", results), c.createArrayOf("text", errors), c.createArrayOf("int8", delays),
                            rescue};
    }

    /** An attempt to hand back: its task and the attempt number it ran as. */
    public record Attempt(long taskId, int attempt) {
    }

    /**
     * Returns running tasks of this owner to pending without counting the attempt (shutdown, or a task
     * that never started). Returns the tasks handed back, as they now are.
     */
    public List<Task> release(List<Attempt> attempts) {
        return db.run(c -> Database.list(c, RELEASE, TaskRows::of,
                c.createArrayOf("int8", attempts.stream().map(Attempt::taskId).toArray()),
                c.createArrayOf("int4", attempts.stream().map(Attempt::attempt).toArray()),
                instance));
    }

    /** Deletes up to {@code limit} finished tasks older than their queue's retention; returns how many. */
    public int sweepFinished(int limit) {
        return db.first(SWEEP, row -> row.getInt("deleted"), limit).orElseThrow();
    }
}
