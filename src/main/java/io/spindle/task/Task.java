package io.spindle.task;

import java.time.Instant;

/**
 * A task as stored. {@code payload} and {@code result} are JSON text, passed through untouched.
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
                   Instant finishedAt) {
}
