package io.spindle.handler;

import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * Runs one attempt of a task. Called on a virtual thread of its own; blocking is expected. An
 * implementation returns an {@link Outcome} for every failure it understands and lets only bugs escape
 * (the worker turns those into a retry). It must honour interruption, which is how shutdown stops it.
 */
public interface TaskHandler {

    /**
     * @param queue the task's queue, as configured when the task was claimed
     * @param task  the task, with {@code attempts} already counting this attempt
     */
    Outcome handle(Queue queue, Task task) throws InterruptedException;
}
