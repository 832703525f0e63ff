package io.spindle.task;

/**
 * A queue with its current statistics, as the API shows it.
 */
public record QueueView(Queue queue, QueueStats stats) {
}
