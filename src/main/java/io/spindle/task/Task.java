package io.spindle.task;

import java.time.Instant;

/**
 * A task as stored. {@code payload} and {@code result} are JSON text, passed through untouched; {@code schedule} names
 * the schedule that created the task, or is null.
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
                   String schedule) {
}
