package io.spindle.task;

/**
 * The result of one enqueue: the task, and whether it was created now or found by its idempotency key.
 */
public record Enqueued(Task task, boolean created) {
}
