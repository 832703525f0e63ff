package io.spindle.task;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.spindle.db.Database;
import io.spindle.error.SpindleException;

/**
 * The SQL home of tasks as the API sees them: enqueue (many rows in one statement), read, list, cancel
 * and retry. Dispatch's statements live in {@link DispatchStore}.
 */
public final class TaskStore {

    /**
     * Ids are drawn first so that each input row can be matched to the row it inserted, or to nothing when
     * its idempotency key was taken or its queue does not exist.
     */
    private static final String INSERT_MANY = """
            WITH input AS (
                SELECT nextval('tasks_id_seq') AS id, x.*
                FROM unnest(?::text[], ?::text[], ?::int[], ?::text[], ?::int[], ?::text[], ?::text[])
                     WITH ORDINALITY AS x(queue, payload, priority, run_at, max_attempts, idempotency_key,
                                          concurrency_key, ord)
            ), inserted AS (
                INSERT INTO tasks (id, queue, payload, priority, run_at, max_attempts, idempotency_key, concurrency_key)
                SELECT i.id, i.queue, i.payload::json, i.priority, coalesce(i.run_at::timestamptz, now()),
                       coalesce(i.max_attempts, q.max_attempts), i.idempotency_key,
                       CASE WHEN q.key_concurrency IS NULL THEN i.concurrency_key ELSE coalesce(i.concurrency_key, '') END
                FROM input i JOIN queues q ON q.name = i.queue
                ORDER BY i.ord
                ON CONFLICT (queue, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING %s
            ), %s
            SELECT i.ord, i.queue AS input_queue, i.idempotency_key AS input_key, n.*
            FROM input i LEFT JOIN inserted n ON n.id = i.id
            ORDER BY i.ord
            """.formatted(TaskRows.COLUMNS, QueueCounts.adjust("SELECT queue, NULL, state FROM inserted"));

    private static final String BY_KEYS = """
            SELECT %s
            FROM tasks t JOIN unnest(?::text[], ?::text[]) AS k(queue, idempotency_key)
              ON t.queue = k.queue AND t.idempotency_key = k.idempotency_key
            """.formatted(TaskRows.columns("t."));

    private static final String CANCEL = """
            WITH cancelled AS (
                UPDATE tasks SET state = 'cancelled', finished_at = now(), updated_at = now(),
                                 lease_owner = NULL, lease_until = NULL
                WHERE id = ? AND queue = ? AND state = 'pending'
                RETURNING %s
            ), %s
            SELECT * FROM cancelled
            """.formatted(TaskRows.COLUMNS, QueueCounts.adjust("SELECT queue, 'pending', state FROM cancelled"));

    /**
     * Sends the rows {@code old} picks (their id and state, locked) back to pending. The state each leaves (failed
     * or cancelled) comes from {@code old}, read under the row lock ({@code FOR UPDATE} returns the newest version),
     * since RETURNING shows only the new row.
     */
    private static String redrive(String old) {
        return """
                WITH old AS (
                    %s
                ), redriven AS (
                    UPDATE tasks t SET state = 'pending', attempts = 0, run_at = now(), finished_at = NULL,
                                       last_error = NULL, result = NULL, updated_at = now()
                    FROM old o
                    WHERE t.id = o.id
                    RETURNING %s, o.state AS was
                ), %s
                SELECT * FROM redriven ORDER BY id
                """.formatted(old, TaskRows.columns("t."), QueueCounts.adjust("SELECT queue, was, state FROM redriven"));
    }

    /** A client's retry of one failed or cancelled task. */
    private static final String RETRY = redrive(
            "SELECT id, state FROM tasks WHERE id = ? AND queue = ? AND state IN ('failed', 'cancelled') FOR UPDATE");

    /**
     * One batch of a bulk redrive: the next failed (or cancelled) tasks of the queue above an id, in id order.
     * SKIP LOCKED passes over a row another statement holds (a client's retry of it), so a batch never waits
     * and never takes a row twice; each batch commits alone, so no lock outlives it.
     */
    private static final String RETRY_BATCH = redrive("""
            SELECT id, state FROM tasks WHERE queue = ? AND state = ? AND id > ? AND id <= ?
            ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED""");

    private final Database db;

    public TaskStore(Database db) {
        this.db = db;
    }

    /**
     * Inserts tasks in one autocommit statement (one round trip, one commit). The result has one entry per input,
     * in order: the created task, the task already holding the idempotency key, or empty when the queue does not
     * exist.
     */
    public List<Optional<Enqueued>> insert(List<NewTask> tasks) {
        return db.run(c -> insert(c, tasks));
    }

    private static List<Optional<Enqueued>> insert(Connection connection, List<NewTask> tasks) throws SQLException {
        int n = tasks.size();
        String[] queues = new String[n];
        String[] payloads = new String[n];
        Integer[] priorities = new Integer[n];
        String[] runAts = new String[n];
        Integer[] maxAttempts = new Integer[n];
        String[] keys = new String[n];
        String[] concurrencyKeys = new String[n];
        for (int i = 0; i < n; i++) {
            NewTask task = tasks.get(i);
            queues[i] = task.queue();
            payloads[i] = task.payload();
            priorities[i] = task.priority();
            runAts[i] = task.runAt() == null ? null : task.runAt().toString();
            maxAttempts[i] = task.maxAttempts();
            keys[i] = task.key();
            concurrencyKeys[i] = task.concurrencyKey();
        }
        List<Optional<Enqueued>> results = new ArrayList<>(n);
        List<Integer> taken = new ArrayList<>();
        try (PreparedStatement st = connection.prepareStatement(INSERT_MANY)) {
            st.setArray(1, connection.createArrayOf("text", queues));
            st.setArray(2, connection.createArrayOf("text", payloads));
            st.setArray(3, connection.createArrayOf("int4", priorities));
            st.setArray(4, connection.createArrayOf("text", runAts));
            st.setArray(5, connection.createArrayOf("int4", maxAttempts));
            st.setArray(6, connection.createArrayOf("text", keys));
            st.setArray(7, connection.createArrayOf("text", concurrencyKeys));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    if (rs.getObject("id") != null) {
                        results.add(Optional.of(new Enqueued(TaskRows.of(rs), true)));
                    } else {
                        if (rs.getString("input_key") != null) {
                            taken.add(results.size());
                        }
                        results.add(Optional.empty());
                    }
                }
            }
        }
        if (!taken.isEmpty()) {
            Map<String, Task> holders = findByKeys(connection, taken.stream().map(tasks::get).toList());
            for (int index : taken) {
                NewTask task = tasks.get(index);
                Task existing = holders.get(task.queue() + '\0' + task.key());
                if (existing != null) {
                    results.set(index, Optional.of(new Enqueued(existing, false)));
                }
            }
        }
        return results;
    }

    /** The tasks holding these tasks' idempotency keys, by queue and key, in one statement. */
    private static Map<String, Task> findByKeys(Connection connection, List<NewTask> keyed) throws SQLException {
        Map<String, Task> holders = new HashMap<>();
        try (PreparedStatement st = connection.prepareStatement(BY_KEYS)) {
            st.setArray(1, connection.createArrayOf("text", keyed.stream().map(NewTask::queue).toArray()));
            st.setArray(2, connection.createArrayOf("text", keyed.stream().map(NewTask::key).toArray()));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    Task task = TaskRows.of(rs);
                    holders.put(task.queue() + '\0' + task.key(), task);
                }
            }
        }
        return holders;
    }

    public Optional<Task> find(String queue, long id) {
        return db.first("SELECT " + TaskRows.COLUMNS + " FROM tasks WHERE id = ? AND queue = ?", TaskRows::of, id, queue);
    }

    /** A page of tasks, newest first; {@code nextBefore} is the id to continue below, if there are more. */
    public record Page(List<Task> tasks, Optional<Long> nextBefore) {
    }

    public Page list(String queue, Optional<TaskState> state, int limit, Optional<Long> before) {
        StringBuilder sql = new StringBuilder("SELECT " + TaskRows.COLUMNS + " FROM tasks WHERE queue = ?");
        List<Object> params = new ArrayList<>(List.of(queue));
        state.ifPresent(s -> {
            sql.append(" AND state = ?");
            params.add(s.dbName());
            if (s == TaskState.RUNNING) {
                sql.append(" AND lease_until IS NOT NULL"); // found through their leases (tasks_lease), not among history
            }
        });
        before.ifPresent(id -> {
            sql.append(" AND id < ?");
            params.add(id);
        });
        sql.append(" ORDER BY id DESC LIMIT ?");
        params.add(limit + 1);
        List<Task> tasks = db.list(sql.toString(), TaskRows::of, params.toArray());
        if (tasks.size() > limit) {
            List<Task> page = tasks.subList(0, limit);
            return new Page(page, Optional.of(page.getLast().id()));
        }
        return new Page(tasks, Optional.empty());
    }

    /** Cancels a pending task. */
    public Task cancel(String queue, long id) {
        return db.first(CANCEL, TaskRows::of, id, queue)
                .orElseThrow(() -> refusal(queue, id, "cancelled", "it is not pending"));
    }

    /** Sends a failed or cancelled task back to pending, due now, with its attempts reset. */
    public Task retry(String queue, long id) {
        return db.first(RETRY, TaskRows::of, id, queue)
                .orElseThrow(() -> refusal(queue, id, "retried", "it is neither failed nor cancelled"));
    }

    /**
     * Sends up to {@code limit} tasks of the queue in {@code state} (failed or cancelled) whose id is above
     * {@code afterId} and at most {@code upToId} back to pending, in one autocommit statement; the rows come back
     * in id order.
     */
    public List<Task> retryBatch(String queue, TaskState state, long afterId, long upToId, int limit) {
        return db.list(RETRY_BATCH, TaskRows::of, queue, state.dbName(), afterId, upToId, limit);
    }

    /** The highest id of the queue's tasks in {@code state}, 0 when there is none (one index probe). */
    public long lastId(String queue, TaskState state) {
        return db.first("SELECT coalesce(max(id), 0) AS id FROM tasks WHERE queue = ? AND state = ?",
                        rs -> rs.getLong("id"), queue, state.dbName()).orElse(0L);
    }

    private RuntimeException refusal(String queue, long id, String verb, String reason) {
        return find(queue, id)
                .<RuntimeException>map(task -> new SpindleException.Conflict(
                        "Task " + id + " cannot be " + verb + ": " + reason + " (state " + task.state().dbName() + ")."))
                .orElseGet(() -> notFound(queue, id));
    }

    public static SpindleException.NotFound notFound(String queue, long id) {
        return new SpindleException.NotFound("Task " + id + " does not exist in queue '" + queue + "'.");
    }
}
