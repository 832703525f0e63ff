package io.spindle.dispatch;

import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;

import io.spindle.task.Queue;

/**
 * The delay before a failed attempt is tried again: {@code min(maxBackoff, minBackoff * 2^(n-1))} plus up to
 * 20 % jitter (so retries of tasks that failed together spread out), never beyond {@code maxBackoff}; or the
 * backend's {@code Retry-After} when that is later.
 */
public final class Backoff {
    private static final double JITTER = 0.2;

    private final RandomGenerator random;

    public Backoff(RandomGenerator random) {
        this.random = random;
    }

    /** @param attempt the attempt that just failed, counting from 1 */
    public Duration after(Queue.RetryPolicy policy, int attempt, Optional<Duration> notBefore) {
        long min = policy.minBackoff().toMillis();
        long max = policy.maxBackoff().toMillis();
        int doublings = Math.min(Math.max(attempt - 1, 0), 62);
        long exponential = doublings >= 63 - Long.numberOfLeadingZeros(Math.max(min, 1)) ? max : min << doublings;
        long capped = Math.min(max, exponential);
        long jittered = Math.min(max, capped + (long) (capped * JITTER * random.nextDouble()));
        Duration delay = Duration.ofMillis(jittered);
        return notBefore.filter(d -> d.compareTo(delay) > 0).orElse(delay);
    }
}
