package io.spindle.task;

/**
 * An attempt's end, as written back. {@code attempt} guards the write: a rescued attempt's late completion no
 * longer matches and is ignored.
 */
public record Completion(long taskId, String queue, int attempt, AttemptEnd end) {

    /** The end of the attempt {@code task} is running as. */
    public static Completion of(Task task, AttemptEnd end) {
        return new Completion(task.id(), task.queue(), task.attempts(), end);
    }
}
