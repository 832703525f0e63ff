package io.spindle.task;

import java.time.Instant;

/**
 * A task as stored. {@code payload} and {@code result} are JSON text, passed through untouched. {@code leaseToken}
 * is the token of the current attempt while it runs (given to the backend, never shown by the API); {@code schedule}
 * names the schedule that created the task, or is null.
 */
public record Task(long id,
                   String queue,
                   TaskState state,
                   String payload,
                   int priority,
                   Instant runAt,
                   int attempts,
                   int maxAttempts,
                   String key,
                   String lastError,
                   String result,
                   Instant createdAt,
                   Instant updatedAt,
                   Instant finishedAt,
                   String concurrencyKey,
                   String leaseToken,
                   String schedule) {

    public Task(long id, String queue, TaskState state, String payload, int priority, Instant runAt, int attempts,
                int maxAttempts, String key, String lastError, String result, Instant createdAt, Instant updatedAt,
                Instant finishedAt) {
        this(id, queue, state, payload, priority, runAt, attempts, maxAttempts, key, lastError, result, createdAt,
             updatedAt, finishedAt, null, null, null);
    }
}
