-- Every claim and every completion changes a task's state, so no such update is HOT: each adds an entry to
-- every index whose predicate the new row version meets. tasks_queue_state_id took one at the insert, the
-- claim and the completion, and served only listing by state (the counts come from queue_counts since V3).
-- Listing by state finds its rows elsewhere now: running ones in tasks_lease, succeeded ones (most of history)
-- in tasks_queue_id, and the pending, failed and cancelled ones, which are looked for among many succeeded, in a
-- partial index that a task enters at its insert (or a retry, or a failure) and that claims and successful
-- completions never touch: from 14 index entries a successful task to 12.
DROP INDEX tasks_queue_state_id;
CREATE INDEX tasks_queue_pending_failed_cancelled ON tasks (queue, state, id)
    WHERE state IN ('pending', 'failed', 'cancelled');

-- Room on each page for the new version of a row its claim or completion writes, so it stays on its page
-- (no extra Heap LOCK record, no table extension while draining); pruning frees the old versions' space.
ALTER TABLE tasks SET (fillfactor = 80);

-- The same leases, indexed under a predicate that only questions about lease times imply (lease_until is set
-- exactly while a task runs). Under `state = 'running'`, the planner, whose statistics often count no running
-- task at all (an ANALYZE while the queue idled), chose this index for the completion's join by id and walked
-- every entry left by the claims since the last vacuum, for each batch: a drain with 200,000 finished tasks
-- retained ran at a quarter of its rate. Now the completion can only look its rows up by id.
DROP INDEX tasks_lease;
CREATE INDEX tasks_lease ON tasks (lease_until) WHERE lease_until IS NOT NULL;
ALTER TABLE tasks ADD CONSTRAINT tasks_lease_while_running CHECK ((state = 'running') = (lease_until IS NOT NULL));
