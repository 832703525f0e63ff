package io.spindle.task;

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
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.spindle.db.Database;
import io.spindle.db.Notifications;
import io.spindle.db.Notifier;

/**
 * The SQL home of dispatch: claiming due tasks under leases, writing results back, returning tasks to
 * pending, rescuing expired leases and deleting finished tasks past retention. Every state change is one
 * statement guarded by the state (and attempt) it expects, so two instances can never both finish one
 * attempt. Plain JDBC on the pool: these statements bind arrays and run in batches.
 */
public final class DispatchStore {

    /**
     * Each wanted queue is searched in turn (highest priority, then earliest runAt first) up to its own cap,
     * and the outer LIMIT stops the search once the free workers are covered, so rows are locked only as
     * they are taken.
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
            )
            SELECT c.*, n.next_run_at, n.db_now
            FROM (SELECT min(run_at) AS next_run_at, now() AS db_now
                  FROM tasks WHERE state = 'pending' AND attempts >= 0 AND run_at > now()) n
            LEFT JOIN claimed c ON true
            """.formatted(TaskRows.columns("t."));

    private static final String COMPLETE = """
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
            RETURNING %s
            """.formatted(TaskRows.columns("t."));

    private static final String RELEASE = """
            UPDATE tasks t SET state = 'pending', attempts = t.attempts - 1, lease_owner = NULL, lease_until = NULL,
                               updated_at = now()
            FROM unnest(?::bigint[], ?::int[]) AS r(id, attempt)
            WHERE t.id = r.id AND t.state = 'running' AND t.attempts = r.attempt AND t.lease_owner = ?
            RETURNING t.queue
            """;

    private static final String RESCUE = """
            UPDATE tasks t SET
                state = CASE WHEN t.attempts >= t.max_attempts THEN 'failed' ELSE 'pending' END,
                finished_at = CASE WHEN t.attempts >= t.max_attempts THEN now() END,
                run_at = now(),
                last_error = 'lease expired: attempt ' || t.attempts || ' held by ' || coalesce(t.lease_owner, '?')
                             || ' did not finish in time',
                lease_owner = NULL, lease_until = NULL, updated_at = now()
            WHERE t.id IN (
                SELECT id FROM tasks WHERE state = 'running' AND lease_until < now()
                ORDER BY lease_until LIMIT ? FOR UPDATE SKIP LOCKED
            )
            RETURNING %s
            """.formatted(TaskRows.columns("t."));

    private static final String SWEEP = """
            DELETE FROM tasks WHERE id IN (
                SELECT t.id FROM tasks t JOIN queues q ON q.name = t.queue
                WHERE t.finished_at IS NOT NULL AND t.finished_at < now() - q.retention_ms * interval '1 millisecond'
                LIMIT ? FOR UPDATE OF t SKIP LOCKED
            )
            """;

    private final Database db;
    private final String instance;
    private final Notifier notifier;

    /**
     * @param instance this instance's id: the lease owner
     * @param notifier announces, after each write, tasks that are due again or finished
     */
    public DispatchStore(Database db, String instance, Notifier notifier) {
        this.db = db;
        this.instance = instance;
        this.notifier = notifier;
    }

    public String instance() {
        return instance;
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
        try (Connection c = db.connection(); PreparedStatement st = c.prepareStatement(CLAIM)) {
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
        } catch (SQLException e) {
            throw Database.failure(e);
        }
    }

    /**
     * Writes completions in one statement, then announces the finished tasks on {@code spindle_done}. Returns
     * the tasks as they now are; completions of stale attempts are absent.
     */
    public List<Task> complete(List<Completion> completions) {
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
            states[i] = completion.state().dbName();
            results[i] = completion.resultJson();
            errors[i] = completion.error();
            delays[i] = completion.retryDelayMillis();
        }
        List<Task> tasks;
        try (Connection c = db.connection(); PreparedStatement st = c.prepareStatement(COMPLETE)) {
            st.setArray(1, c.createArrayOf("int8", ids));
            st.setArray(2, c.createArrayOf("int4", attempts));
            st.setArray(3, c.createArrayOf("text", states));
            st.setArray(4, c.createArrayOf("text", results));
            st.setArray(5, c.createArrayOf("text", errors));
            st.setArray(6, c.createArrayOf("int8", delays));
            tasks = readTasks(st);
        } catch (SQLException e) {
            throw Database.failure(e);
        }
        notifier.send(Notifications.DONE, finishedIds(tasks));
        return tasks;
    }

    /** An attempt to hand back: its task and the attempt number it ran as. */
    public record Attempt(long taskId, int attempt) {
    }

    /**
     * Returns running tasks of this owner to pending without counting the attempt (shutdown, or a task
     * that never started). Returns the queues that got tasks back.
     */
    public Set<String> release(List<Attempt> attempts) {
        Set<String> queues = new TreeSet<>();
        try (Connection c = db.connection(); PreparedStatement st = c.prepareStatement(RELEASE)) {
            st.setArray(1, c.createArrayOf("int8", attempts.stream().map(Attempt::taskId).toArray()));
            st.setArray(2, c.createArrayOf("int4", attempts.stream().map(Attempt::attempt).toArray()));
            st.setString(3, instance);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    queues.add(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw Database.failure(e);
        }
        notifier.send(Notifications.WAKE, queues);
        return queues;
    }

    /** Returns up to {@code limit} tasks whose lease expired to pending (or failed, when out of attempts). */
    public List<Task> rescueExpired(int limit) {
        List<Task> tasks;
        try (Connection c = db.connection(); PreparedStatement st = c.prepareStatement(RESCUE)) {
            st.setInt(1, limit);
            tasks = readTasks(st);
        } catch (SQLException e) {
            throw Database.failure(e);
        }
        notifier.send(Notifications.WAKE, tasks.stream().filter(t -> t.state() == TaskState.PENDING)
                .map(Task::queue).collect(Collectors.toCollection(TreeSet::new)));
        notifier.send(Notifications.DONE, finishedIds(tasks));
        return tasks;
    }

    private static List<String> finishedIds(List<Task> tasks) {
        return tasks.stream().filter(t -> t.state().isFinished()).map(t -> Long.toString(t.id())).toList();
    }

    /** Deletes up to {@code limit} finished tasks older than their queue's retention; returns how many. */
    public int sweepFinished(int limit) {
        try (Connection c = db.connection(); PreparedStatement st = c.prepareStatement(SWEEP)) {
            st.setInt(1, limit);
            return st.executeUpdate();
        } catch (SQLException e) {
            throw Database.failure(e);
        }
    }

    private static List<Task> readTasks(PreparedStatement st) throws SQLException {
        List<Task> tasks = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                tasks.add(TaskRows.of(rs));
            }
        }
        return tasks;
    }
}
