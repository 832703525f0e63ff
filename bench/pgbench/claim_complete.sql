-- PostgreSQL's limit for draining: claim up to 100 due tasks, then complete them, in two separate
-- transactions (each statement autocommits), the way a worker does it.
-- Transaction 1 is Spindle's claim for one queue: the oldest due pending tasks in claim order, FOR UPDATE SKIP
-- LOCKED, set running under a lease. The claimed rows are marked with this client's lease owner
-- ('pgbench-' || :client_id), which is how transaction 2 finds exactly the rows this client claimed (pgbench
-- cannot carry the ids between transactions without \gset). Transaction 2 completes them as succeeded.
-- One script run = 2 transactions and up to 100 tasks; tasks/s is counted from the rows that end 'succeeded'.
-- Transaction 2 finds them through tasks_lease (only running tasks hold a lease), as Spindle's own completion
-- finds its tasks by id; the (queue, state) index it once used is gone (V8).
WITH picked AS (
    SELECT id FROM tasks
    WHERE queue = 'bench' AND state = 'pending' AND run_at <= now()
    ORDER BY priority DESC, run_at, id
    LIMIT 100
    FOR UPDATE SKIP LOCKED
)
UPDATE tasks t SET state = 'running', attempts = t.attempts + 1, lease_owner = 'pgbench-' || :client_id,
                   lease_until = now() + interval '60 seconds', updated_at = now()
FROM picked p
WHERE t.id = p.id;
UPDATE tasks SET state = 'succeeded', result = '{}', finished_at = now(), lease_owner = NULL, lease_until = NULL,
                 updated_at = now()
WHERE lease_until IS NOT NULL AND lease_owner = 'pgbench-' || :client_id AND queue = 'bench' AND state = 'running';
