package io.spindle.task;

import java.time.Instant;

/**
 * A task to enqueue, validated. A null {@code runAt} means now (the database's clock); a null
 * {@code maxAttempts} means the queue's default; a null {@code key} means no deduplication; a null
 * {@code concurrencyKey} means none.
 */
public record NewTask(String queue, String payload, int priority, Instant runAt, Integer maxAttempts, String key,
                      String concurrencyKey) {

    public NewTask(String queue, String payload, int priority, Instant runAt, Integer maxAttempts, String key) {
        this(queue, payload, priority, runAt, maxAttempts, key, null);
    }
}
