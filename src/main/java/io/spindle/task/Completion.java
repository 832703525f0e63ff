package io.spindle.task;

/**
 * How one attempt ends, as written back: the next state, with the result, the error, and for a retry the
 * delay until the task is due again. {@code attempt} guards the write: a rescued attempt's late completion
 * no longer matches and is ignored.
 */
public record Completion(long taskId, String queue, int attempt, TaskState state, String resultJson, String error,
                         long retryDelayMillis) {

    public static Completion succeeded(Task task, String resultJson) {
        return new Completion(task.id(), task.queue(), task.attempts(), TaskState.SUCCEEDED, resultJson, null, 0);
    }

    public static Completion failed(Task task, String error) {
        return new Completion(task.id(), task.queue(), task.attempts(), TaskState.FAILED, null, error, 0);
    }

    public static Completion retry(Task task, String error, long delayMillis) {
        return new Completion(task.id(), task.queue(), task.attempts(), TaskState.PENDING, null, error, delayMillis);
    }
}
