-- Task counts per queue and state, kept in step by the statements that change states (each adds its deltas in
-- a CTE of its own), so a queue's stats read a few rows instead of counting every task the queue retains.
-- A queue's counts are the SUM of its rows. Each statement adds to the row of the backend it runs on
-- (slot = pg_backend_pid()): no two open transactions share a backend, so no writer ever waits for another's
-- row lock (a single row per queue would serialise every enqueue, claim and completion commit of the queue).
-- Slot 0 holds the counts folded in from backends that are gone (the maintenance duty folds them), so a
-- queue has at most one row per live backend plus one. docs/architecture.md#task-counts says more.
CREATE TABLE queue_counts (
    queue     text    NOT NULL,
    slot      integer NOT NULL,
    pending   bigint  NOT NULL DEFAULT 0,
    running   bigint  NOT NULL DEFAULT 0,
    succeeded bigint  NOT NULL DEFAULT 0,
    failed    bigint  NOT NULL DEFAULT 0,
    cancelled bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (queue, slot)
) WITH (fillfactor = 50); -- room on each page for HOT updates: the rows change with every batch

-- Recounts every queue from the tasks themselves, exactly: writers of tasks wait meanwhile. For after a change
-- of tasks by hand (outside Spindle's statements); the migration fills the table with it.
CREATE FUNCTION spindle_recount_queues() RETURNS void LANGUAGE sql AS $$
    LOCK TABLE tasks IN SHARE MODE;
    DELETE FROM queue_counts;
    INSERT INTO queue_counts (queue, slot, pending, running, succeeded, failed, cancelled)
    SELECT queue, 0,
           count(*) FILTER (WHERE state = 'pending'),
           count(*) FILTER (WHERE state = 'running'),
           count(*) FILTER (WHERE state = 'succeeded'),
           count(*) FILTER (WHERE state = 'failed'),
           count(*) FILTER (WHERE state = 'cancelled')
    FROM tasks GROUP BY queue;
$$;

SELECT spindle_recount_queues();

-- The stats' scheduled count (pending, run_at ahead) and oldest due pending task, per queue. tasks_claim
-- cannot serve min(run_at) (priority comes first). "attempts >= 0" keeps the claim off this index, as with
-- tasks_next_run: the claim does not state it.
CREATE INDEX tasks_pending_run ON tasks (queue, run_at) WHERE state = 'pending' AND attempts >= 0;
