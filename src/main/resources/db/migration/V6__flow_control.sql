-- Flow control across instances (docs/architecture.md#flow-control): a queue's maxConcurrent, rate and
-- keyConcurrency are decided by the claim, in SQL, so any number of instances on one database agree.

-- One row per queue, locked by every claim of the queue (in name order) before it reads what runs: claims of one
-- queue take turns, and each reads the running counts after the one before it committed. The row holds the
-- queue's recent starts for its rate (start times and counts, one entry per slot of a twentieth of the period)
-- and where the last claim left off in the queue's concurrency keys (round-robin by key).
CREATE TABLE queue_flow (
    queue       text          PRIMARY KEY REFERENCES queues (name) ON DELETE CASCADE,
    start_times timestamptz[] NOT NULL DEFAULT '{}',
    start_counts integer[]    NOT NULL DEFAULT '{}',
    key_cursor  text
) WITH (fillfactor = 50); -- rewritten by every claim: room for HOT updates

INSERT INTO queue_flow (queue) SELECT name FROM queues;

ALTER TABLE queue_flow SET (
    autovacuum_vacuum_threshold = 500,
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_cost_delay = 0
);

-- At most this many running tasks per concurrency key (null: no bound by key).
ALTER TABLE queues ADD COLUMN key_concurrency integer CHECK (key_concurrency > 0);

-- A task's concurrency key (e.g. a tenant); the lease token of its current attempt (a long task's backend
-- reports with it: heartbeat, complete, fail).
ALTER TABLE tasks ADD COLUMN concurrency_key text CHECK (length(concurrency_key) <= 128);
ALTER TABLE tasks ADD COLUMN lease_token uuid;

-- A keyed claim walks the keys that have pending tasks (a skip scan: one probe per key) and takes each key's
-- first due tasks; tasks without a key have no entries.
CREATE INDEX tasks_claim_key ON tasks (queue, concurrency_key, priority DESC, run_at, id)
    WHERE state = 'pending' AND concurrency_key IS NOT NULL;
-- The running tasks of a key, counted by the claim.
CREATE INDEX tasks_running_key ON tasks (queue, concurrency_key)
    WHERE state = 'running' AND concurrency_key IS NOT NULL;
