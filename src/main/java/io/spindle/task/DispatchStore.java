package io.spindle.task;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

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
     * The claim's first statement: the flow rows of the wanted queues, locked in name order. Claims of a queue take
     * turns here, and the claim proper, a statement of its own, reads the running counts on a snapshot taken once
     * the lock is held: every earlier claim of the queue has committed by then and shows. Both go in one round trip
     * and one transaction (the driver sends them together, with one Sync). The transaction commits without waiting
     * for its WAL to reach the disk ({@code set_config} of {@code synchronous_commit} in the claim proper, local to
     * the transaction): a claim lost in a database crash leaves its tasks pending, to run again as after an expired
     * lease, which at-least-once allows (and forgets its starts, which only lets the rate count a few too few once);
     * the attempt's end, written with a synchronous commit, flushes the claim's WAL before it. This takes one disk
     * flush off every wake-up and half of the drain's.
     */
    private static final String LOCK_FLOW = """
            SELECT queue FROM queue_flow WHERE queue = ANY(?::text[]) ORDER BY queue FOR UPDATE;
            """;

    /**
     * Each wanted queue gets room: what it asked for, within its maxConcurrent less the tasks running on every
     * instance (the sum of its queue_counts rows) and within its rate (permits less the starts recorded in its flow
     * row over the last period and a tenth: the tenth absorbs the spread between a claim and the backend seeing its
     * requests; the starts are timed by the clock once the lock is held) and, while other instances wait for its
     * slots (listed in the flow row by their last held-back claim, for a second), within a fair share: maxConcurrent
     * over the waiting instances, rounded up, less the slots this instance holds. A queue without keys is searched highest
     * priority, then earliest runAt first; a keyed one walks its keys from where the last claim left off (a skip
     * scan on tasks_claim_key, wrapping round, at most 200 keys a claim), taking each key's first due tasks up to
     * keyConcurrency less that key's running tasks. The outer LIMIT stops the search once the free workers are
     * covered, so rows are locked only as they are taken. The flow rows then record the starts (merged per slot of
     * a twentieth of the period, so a row holds about twenty entries), the last key served and whether this instance
     * now waits. {@code held} says a bound shared with other instances stopped a queue that has due tasks.
     */
    private static final String CLAIM = LOCK_FLOW + """
            WITH wanted AS (
                SELECT w.*, clock_timestamp() AS clock, ?::text AS me
                FROM unnest(?::text[], ?::int[], ?::bigint[], ?::int[]) WITH ORDINALITY AS w(queue, n, lease_ms, mine, ord)
            ), room AS (
                SELECT w.queue, w.lease_ms, w.ord, w.clock, w.me, q.key_concurrency, f.key_cursor, f.start_times, f.start_counts,
                       f.waiters, others.owners AS other_waiters, others.ats AS others_waited_at, r.window_ms,
                       CASE WHEN q.rate_period_ms IS NOT NULL THEN greatest(1, q.rate_period_ms / 20) END AS rate_slot_ms,
                       greatest(0, least(w.n, q.max_concurrent - c.running, coalesce(fair.share - w.mine, w.n),
                                         coalesce(q.rate_permits - r.used, w.n))) AS n,
                       coalesce(q.max_concurrent - c.running < w.n OR fair.share - w.mine < w.n, false) AS bound_held,
                       q.key_concurrency IS NOT NULL AND EXISTS (
                           SELECT 1 FROM tasks t WHERE t.queue = w.queue AND t.state = 'pending'
                             AND t.concurrency_key IS NOT NULL AND t.run_at <= now()) AS key_held,
                       CASE WHEN q.rate_permits - r.used < w.n THEN r.free_at END AS rate_free_at
                FROM wanted w
                JOIN queues q ON q.name = w.queue
                LEFT JOIN queue_flow f ON f.queue = w.queue -- a queue inserted by hand has none: no shared bound then
                CROSS JOIN LATERAL (SELECT coalesce(sum(qc.running), 0) AS running FROM queue_counts qc WHERE qc.queue = w.queue) c
                CROSS JOIN LATERAL (
                    SELECT coalesce(array_agg(o.owner ORDER BY o.at), '{}') AS owners,
                           coalesce(array_agg(o.at ORDER BY o.at), '{}') AS ats, count(*)::int AS n
                    FROM unnest(f.waiters, f.waited_at) AS o(owner, at)
                    WHERE o.owner <> w.me AND o.at > w.clock - interval '1 second'
                ) others
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN others.n > 0 THEN (q.max_concurrent + others.n) / (others.n + 1) END AS share
                ) fair
                CROSS JOIN LATERAL (
                    SELECT q.rate_period_ms + greatest(1, q.rate_period_ms / 10) AS window_ms
                ) wm
                CROSS JOIN LATERAL (
                    SELECT wm.window_ms, coalesce(sum(s.n), 0) AS used,
                           min(s.at) + wm.window_ms * interval '1 millisecond' AS free_at
                    FROM unnest(f.start_times, f.start_counts) AS s(at, n)
                    WHERE s.at > w.clock - wm.window_ms * interval '1 millisecond'
                ) r
            ), picked AS (
                SELECT p.id, r.queue, r.lease_ms, p.key, p.key_ord
                FROM room r CROSS JOIN LATERAL (
                    SELECT * FROM (
                        SELECT t.id, NULL::text AS key, 0 AS key_ord FROM tasks t
                        WHERE r.key_concurrency IS NULL AND t.queue = r.queue AND t.state = 'pending' AND t.run_at <= now()
                        ORDER BY t.priority DESC, t.run_at, t.id
                        LIMIT r.n
                        FOR UPDATE SKIP LOCKED
                    ) plain
                    UNION ALL
                    SELECT * FROM (
                        WITH RECURSIVE keys(key, ord, first) AS (
                            SELECT r.key_cursor, 0, NULL::text WHERE r.key_concurrency IS NOT NULL
                            UNION ALL
                            SELECT s.key, k.ord + 1, coalesce(k.first, s.key) FROM keys k CROSS JOIN LATERAL (SELECT coalesce(
                                (SELECT t.concurrency_key FROM tasks t
                                 WHERE t.queue = r.queue AND t.state = 'pending' AND t.concurrency_key IS NOT NULL
                                   AND t.concurrency_key > k.key ORDER BY t.concurrency_key LIMIT 1),
                                (SELECT t.concurrency_key FROM tasks t
                                 WHERE t.queue = r.queue AND t.state = 'pending' AND t.concurrency_key IS NOT NULL
                                 ORDER BY t.concurrency_key LIMIT 1)) AS key) s
                            WHERE k.ord < 200 AND s.key IS NOT NULL AND s.key IS DISTINCT FROM k.first
                        )
                        SELECT p.id, k.key, k.ord AS key_ord FROM keys k
                        CROSS JOIN LATERAL (
                            SELECT count(*) AS running FROM tasks x
                            WHERE x.queue = r.queue AND x.state = 'running' AND x.concurrency_key = k.key
                        ) run
                        CROSS JOIN LATERAL (
                            SELECT t.id FROM tasks t
                            WHERE t.queue = r.queue AND t.state = 'pending' AND t.concurrency_key = k.key AND t.run_at <= now()
                            ORDER BY t.priority DESC, t.run_at, t.id
                            LIMIT CASE WHEN k.key = '' THEN r.n ELSE greatest(0, r.key_concurrency - run.running) END
                            FOR UPDATE SKIP LOCKED
                        ) p
                        WHERE k.ord > 0
                        LIMIT r.n
                    ) keyed
                ) p
                LIMIT ?
            ), claimed AS (
                UPDATE tasks t SET state = 'running', attempts = t.attempts + 1, lease_owner = ?,
                                   lease_token = gen_random_uuid(),
                                   lease_until = now() + p.lease_ms * interval '1 millisecond', updated_at = now()
                FROM picked p
                WHERE t.id = p.id
                RETURNING %s
            ), %s, flowed AS (
                UPDATE queue_flow f SET start_times = x.times, start_counts = x.counts, key_cursor = coalesce(x.last_key, f.key_cursor),
                                        waiters = x.waiters, waited_at = x.waited_at
                FROM (
                    SELECT r.queue, g.last_key,
                           CASE WHEN g.n IS NULL OR r.rate_slot_ms IS NULL THEN r.start_times ELSE s.times END AS times,
                           CASE WHEN g.n IS NULL OR r.rate_slot_ms IS NULL THEN r.start_counts ELSE s.counts END AS counts,
                           CASE WHEN r.bound_held THEN r.other_waiters || r.me ELSE r.other_waiters END AS waiters,
                           CASE WHEN r.bound_held THEN r.others_waited_at || r.clock ELSE r.others_waited_at END AS waited_at
                    FROM room r
                    LEFT JOIN (SELECT p.queue, count(*)::int AS n, (array_agg(p.key ORDER BY p.key_ord DESC))[1] AS last_key
                               FROM picked p JOIN claimed c ON c.id = p.id GROUP BY p.queue) g ON g.queue = r.queue
                    CROSS JOIN LATERAL (
                        SELECT array_agg(e.at ORDER BY e.at) AS times, array_agg(e.n ORDER BY e.at) AS counts
                        FROM (SELECT max(a.at) AS at, sum(a.n)::int AS n
                              FROM (SELECT * FROM unnest(r.start_times, r.start_counts) AS o(at, n)
                                    WHERE o.at > r.clock - r.window_ms * interval '1 millisecond'
                                    UNION ALL SELECT r.clock, g.n WHERE g.n IS NOT NULL) a
                              GROUP BY floor(extract(epoch FROM a.at) * 1000 / r.rate_slot_ms)) e
                    ) s
                    WHERE g.n IS NOT NULL OR r.bound_held OR r.me = ANY(r.waiters)
                ) x
                WHERE f.queue = x.queue
                RETURNING f.queue
            )
            SELECT c.*, n.next_run_at, n.db_now, n.held, n.rate_free_at
            FROM (SELECT min(run_at) AS next_run_at, now() AS db_now,
                         (SELECT bool_or(bound_held OR key_held) FROM room) AS held,
                         (SELECT min(rate_free_at) FROM room) AS rate_free_at,
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

    /** The running attempt a lease token belongs to, if that attempt is still current. */
    private static final String BY_LEASE = """
            SELECT %s FROM tasks t
            WHERE t.id = ? AND t.queue = ? AND t.state = 'running' AND t.lease_token = ?::uuid
            """.formatted(TaskRows.columns("t."));

    /** A heartbeat: the lease of the attempt the token belongs to lasts {@code lease_ms} from now. */
    private static final String EXTEND_LEASE = """
            UPDATE tasks t SET lease_until = now() + ? * interval '1 millisecond', updated_at = now()
            WHERE t.id = ? AND t.queue = ? AND t.state = 'running' AND t.lease_token = ?::uuid
            RETURNING %s
            """.formatted(TaskRows.columns("t."));

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

    /**
     * How many tasks of a queue to claim, the lease each gets, and how many of the queue's slots this instance
     * holds already (its running tasks whose ends have not committed): while other instances wait for the queue's
     * slots, a claim takes no more than its fair share less these.
     */
    public record Want(String queue, int count, Duration lease, int held) {
        public Want(String queue, int count, Duration lease) {
            this(queue, count, lease, 0);
        }
    }

    /**
     * What a claim found: the tasks now running under this owner's lease; when fewer were found than wanted, the
     * next {@code runAt} of any pending task, measured on the database's clock; whether a bound shared by the
     * instances (maxConcurrent, keyConcurrency) held some queue back, so that a slot freed on another instance
     * should be looked for soon; and when a queue stopped by its rate may start tasks again.
     */
    public record Claim(List<Task> tasks, Optional<Duration> nextDueIn, boolean heldBack, Optional<Duration> rateFreeIn) {
        public Claim(List<Task> tasks, Optional<Duration> nextDueIn) {
            this(tasks, nextDueIn, false, Optional.empty());
        }
    }

    /**
     * Claims due tasks: at most {@code want.count()} of each queue (searched in the given order) and at most
     * {@code total} in all, within each queue's bounds across instances. One round trip: it also reads when the
     * next pending task falls due, on the same snapshot and clock, so a task that falls due meanwhile is never
     * missed.
     */
    public Claim claim(List<Want> wants, int total) {
        return db.run(c -> claim(c, wants, total));
    }

    private Claim claim(Connection c, List<Want> wants, int total) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(CLAIM)) {
            Array queues = c.createArrayOf("text", wants.stream().map(Want::queue).toArray());
            st.setArray(1, queues);
            st.setString(2, instance);
            st.setArray(3, queues);
            st.setArray(4, c.createArrayOf("int4", wants.stream().map(Want::count).toArray()));
            st.setArray(5, c.createArrayOf("int8", wants.stream().map(w -> w.lease().toMillis()).toArray()));
            st.setArray(6, c.createArrayOf("int4", wants.stream().map(Want::held).toArray()));
            st.setInt(7, total);
            st.setString(8, instance);
            st.execute();
            if (!st.getMoreResults()) {
                throw new SQLException("the claim returned no rows");
            }
            List<Task> tasks = new ArrayList<>(total);
            Optional<Duration> next = Optional.empty();
            Optional<Duration> rateFree = Optional.empty();
            boolean held = false;
            try (ResultSet rs = st.getResultSet()) {
                while (rs.next()) {
                    if (rs.getObject("id") != null) {
                        tasks.add(TaskRows.of(rs));
                    }
                    Instant now = rs.getTimestamp("db_now").toInstant();
                    next = until(now, rs.getTimestamp("next_run_at"));
                    rateFree = until(now, rs.getTimestamp("rate_free_at"));
                    held = rs.getBoolean("held");
                }
            }
            return new Claim(tasks, next, held, rateFree);
        }
    }

    private static Optional<Duration> until(Instant now, Timestamp at) {
        if (at == null) {
            return Optional.empty();
        }
        Duration until = Duration.between(now, at.toInstant());
        return Optional.of(until.isNegative() ? Duration.ZERO : until);
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

    /** The running task whose current attempt holds {@code token}; empty when no current attempt does. */
    public Optional<Task> runningWithLease(String queue, long id, UUID token) {
        return db.first(BY_LEASE, TaskRows::of, id, queue, token.toString());
    }

    /** Extends the lease of the current attempt holding {@code token} to {@code lease} from now. */
    public Optional<Task> extendLease(String queue, long id, UUID token, Duration lease) {
        return db.first(EXTEND_LEASE, TaskRows::of, lease.toMillis(), id, queue, token.toString());
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
