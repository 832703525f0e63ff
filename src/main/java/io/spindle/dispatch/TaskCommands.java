package io.spindle.dispatch;

import java.util.List;

import io.spindle.task.Task;
import io.spindle.task.TaskState;
import io.spindle.task.TaskStore;

/**
 * A client's commands on one task: cancel (pending → cancelled) and retry (failed or cancelled → pending).
 * Each is one guarded statement whose row goes to the {@link TaskTransitions}; a bulk redrive is a run of such
 * statements, {@value #REDRIVE_BATCH} tasks each.
 */
public final class TaskCommands {
    /** Tasks a bulk redrive sends back per statement (and commit): small enough that no lock is held long. */
    public static final int REDRIVE_BATCH = 1000;

    private final TaskStore store;
    private final TaskTransitions transitions;

    public TaskCommands(TaskStore store, TaskTransitions transitions) {
        this.store = store;
        this.transitions = transitions;
    }

    /** @throws io.spindle.error.SpindleException.Conflict when the task is not pending */
    public Task cancel(String queue, long id) {
        Task task = store.cancel(queue, id);
        transitions.cancelled(task);
        return task;
    }

    /** @throws io.spindle.error.SpindleException.Conflict when the task is neither failed nor cancelled */
    public Task retry(String queue, long id) {
        Task task = store.retry(queue, id);
        transitions.redriven(task);
        return task;
    }

    /**
     * Sends every task of the queue in {@code state} (failed or cancelled) back to pending, batch by batch in id
     * order, each batch committed and announced before the next. The tasks are those in the state when the call
     * began (ids up to the highest then), so a queue that keeps failing tasks cannot keep the call going; a task
     * another client retries meanwhile is skipped, not counted twice.
     *
     * @return how many tasks went back to pending
     */
    public long retryAll(String queue, TaskState state) {
        long count = 0;
        long after = 0;
        long upTo = store.lastId(queue, state);
        while (after < upTo) {
            List<Task> batch = store.retryBatch(queue, state, after, upTo, REDRIVE_BATCH);
            if (batch.isEmpty()) {
                return count;
            }
            transitions.redriven(batch);
            count += batch.size();
            after = batch.getLast().id();
        }
        return count;
    }
}
