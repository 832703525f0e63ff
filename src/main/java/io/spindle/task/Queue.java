package io.spindle.task;

import java.time.Duration;
import java.util.Optional;

/**
 * A queue's configuration, as set by {@code PUT /v1/queues/{name}}. {@code keyConcurrency}: at most this many
 * running tasks per concurrency key, across instances.
 */
public record Queue(String name,
                    HandlerSpec handler,
                    int maxConcurrent,
                    Optional<Rate> rate,
                    RetryPolicy retry,
                    Duration retention,
                    boolean paused,
                    Optional<Integer> keyConcurrency) {

    public Queue(String name, HandlerSpec handler, int maxConcurrent, Optional<Rate> rate, RetryPolicy retry,
                 Duration retention, boolean paused) {
        this(name, handler, maxConcurrent, rate, retry, retention, paused, Optional.empty());
    }

    /** At most {@code permits} task starts per {@code period}. */
    public record Rate(int permits, Duration period) {
    }

    /** How often and how far apart a failing task is tried again. */
    public record RetryPolicy(int maxAttempts, Duration minBackoff, Duration maxBackoff) {
    }
}
