package io.spindle.dispatch;

import java.time.Duration;
import java.util.Optional;

import io.spindle.task.AttemptEnd;
import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * The one rule for an attempt that did not succeed and may pass later: try again after the backoff, unless
 * the task has used all its attempts. The worker applies it to a handler's retryable failure and the lease
 * reaper to an attempt whose lease expired, so both count attempts the same way.
 */
public final class RetryDecision {
    private final Backoff backoff;

    public RetryDecision(Backoff backoff) {
        this.backoff = backoff;
    }

    /**
     * @param task      the task as its attempt ran ({@code attempts} counts that attempt)
     * @param notBefore the backend's {@code Retry-After}, if any
     */
    public AttemptEnd afterFailure(Task task, Queue.RetryPolicy policy, String error, Optional<Duration> notBefore) {
        if (task.attempts() >= task.maxAttempts()) {
            return new AttemptEnd.Failed(
                    error + " (attempt " + task.attempts() + " of " + task.maxAttempts() + ", none left)");
        }
        return new AttemptEnd.Retry(error, backoff.after(policy, task.attempts(), notBefore));
    }
}
