-- EXPLAIN (ANALYZE, BUFFERS, WAL) of the claim and the completion on the table a profiled drain left behind (its
-- finished rows stay, as retention keeps them), run by bench/profile.sh in one transaction that is rolled back.
-- The two statements mirror DispatchStore.CLAIM and DispatchStore.END_ATTEMPTS (src/main/java/io/spindle/task/
-- DispatchStore.java) with TaskRows' column list and QueueCounts' counted CTE; when those change, change these
-- with them.
\set ON_ERROR_STOP 1
\pset pager off
BEGIN;
INSERT INTO queues (name, handler, max_concurrent, max_attempts, min_backoff_ms, max_backoff_ms, retention_ms)
VALUES ('profile_explain', '{"type": "log"}', 1000, 5, 1000, 300000, 604800000);
INSERT INTO tasks (queue, payload, max_attempts)
SELECT 'profile_explain', '{"n":1}', 5 FROM generate_series(1, :pending);
ANALYZE tasks;
SELECT count(*) AS rows_in_tasks, count(*) FILTER (WHERE state = 'pending') AS pending FROM tasks;

\echo '--- claim of' :batch 'tasks (DispatchStore.CLAIM)'
EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF)
WITH wanted AS (
    SELECT * FROM unnest(ARRAY['profile_explain']::text[], ARRAY[:batch]::int[], ARRAY[30000]::bigint[])
        WITH ORDINALITY AS w(queue, n, lease_ms, ord)
), picked AS (
    SELECT p.id, w.lease_ms
    FROM wanted w CROSS JOIN LATERAL (
        SELECT t.id FROM tasks t
        WHERE t.queue = w.queue AND t.state = 'pending' AND t.run_at <= now()
        ORDER BY t.priority DESC, t.run_at, t.id
        LIMIT w.n
        FOR UPDATE SKIP LOCKED
    ) p
    LIMIT :batch
), claimed AS (
    UPDATE tasks t SET state = 'running', attempts = t.attempts + 1, lease_owner = 'profile',
                       lease_until = now() + p.lease_ms * interval '1 millisecond', updated_at = now()
    FROM picked p
    WHERE t.id = p.id
    RETURNING t.id, t.queue, t.state, t.payload::text AS payload, t.priority, t.run_at, t.attempts,
              t.max_attempts, t.idempotency_key, t.last_error, t.result::text AS result, t.created_at,
              t.updated_at, t.finished_at
), counted AS (
    INSERT INTO queue_counts AS qc (queue, slot, pending, running, succeeded, failed, cancelled)
    SELECT m.queue, pg_backend_pid(),
           count(*) FILTER (WHERE m.now = 'pending') - count(*) FILTER (WHERE m.was = 'pending'),
           count(*) FILTER (WHERE m.now = 'running') - count(*) FILTER (WHERE m.was = 'running'),
           count(*) FILTER (WHERE m.now = 'succeeded') - count(*) FILTER (WHERE m.was = 'succeeded'),
           count(*) FILTER (WHERE m.now = 'failed') - count(*) FILTER (WHERE m.was = 'failed'),
           count(*) FILTER (WHERE m.now = 'cancelled') - count(*) FILTER (WHERE m.was = 'cancelled')
    FROM (SELECT queue, 'pending', state FROM claimed) AS m(queue, was, now)
    GROUP BY m.queue
    ON CONFLICT (queue, slot) DO UPDATE SET
        pending = qc.pending + excluded.pending, running = qc.running + excluded.running,
        succeeded = qc.succeeded + excluded.succeeded, failed = qc.failed + excluded.failed,
        cancelled = qc.cancelled + excluded.cancelled
)
SELECT c.*, n.next_run_at, n.db_now
FROM (SELECT min(run_at) AS next_run_at, now() AS db_now
      FROM tasks WHERE state = 'pending' AND attempts >= 0 AND run_at > now()) n
LEFT JOIN claimed c ON true;

\echo '--- completion of the' :batch 'claimed tasks (DispatchStore.END_ATTEMPTS)'
SELECT array_agg(id) AS ids, array_agg(attempts) AS attempts, count(*) AS n
FROM tasks WHERE queue = 'profile_explain' AND state = 'running' \gset
EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF)
WITH ended AS (
UPDATE tasks t SET
    state = c.state,
    result = c.result::json,
    last_error = c.error,
    run_at = CASE WHEN c.state = 'pending' THEN now() + c.delay_ms * interval '1 millisecond' ELSE t.run_at END,
    finished_at = CASE WHEN c.state = 'pending' THEN NULL ELSE now() END,
    lease_owner = NULL, lease_until = NULL, updated_at = now()
FROM unnest(:'ids'::bigint[], :'attempts'::int[], array_fill('succeeded'::text, ARRAY[:n]),
            array_fill('{"topic":"bench.nobody","id":"1"}'::text, ARRAY[:n]), array_fill(NULL::text, ARRAY[:n]),
            array_fill(0::bigint, ARRAY[:n]))
     AS c(id, attempt, state, result, error, delay_ms)
WHERE t.id = c.id AND t.state = 'running' AND t.attempts = c.attempt
  AND (NOT false OR t.lease_until < now())
RETURNING t.id, t.queue, t.state, t.payload::text AS payload, t.priority, t.run_at, t.attempts,
          t.max_attempts, t.idempotency_key, t.last_error, t.result::text AS result, t.created_at,
          t.updated_at, t.finished_at
), counted AS (
    INSERT INTO queue_counts AS qc (queue, slot, pending, running, succeeded, failed, cancelled)
    SELECT m.queue, pg_backend_pid(),
           count(*) FILTER (WHERE m.now = 'pending') - count(*) FILTER (WHERE m.was = 'pending'),
           count(*) FILTER (WHERE m.now = 'running') - count(*) FILTER (WHERE m.was = 'running'),
           count(*) FILTER (WHERE m.now = 'succeeded') - count(*) FILTER (WHERE m.was = 'succeeded'),
           count(*) FILTER (WHERE m.now = 'failed') - count(*) FILTER (WHERE m.was = 'failed'),
           count(*) FILTER (WHERE m.now = 'cancelled') - count(*) FILTER (WHERE m.was = 'cancelled')
    FROM (SELECT queue, 'running', state FROM ended) AS m(queue, was, now)
    GROUP BY m.queue
    ON CONFLICT (queue, slot) DO UPDATE SET
        pending = qc.pending + excluded.pending, running = qc.running + excluded.running,
        succeeded = qc.succeeded + excluded.succeeded, failed = qc.failed + excluded.failed,
        cancelled = qc.cancelled + excluded.cancelled
)
SELECT * FROM ended;
ROLLBACK;
