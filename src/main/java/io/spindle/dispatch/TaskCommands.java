package io.spindle.dispatch;

import io.spindle.task.Task;
import io.spindle.task.TaskStore;

/**
 * A client's commands on one task: cancel (pending → cancelled) and retry (failed or cancelled → pending).
 * Each is one guarded statement whose row goes to the {@link TaskTransitions}.
 */
public final class TaskCommands {
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
}
