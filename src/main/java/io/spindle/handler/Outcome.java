package io.spindle.handler;

import java.time.Duration;
import java.util.Optional;

/**
 * What one attempt of a task came to. Handlers return it instead of throwing, so the dispatcher's
 * choice (complete, retry later, fail now) is explicit.
 */
public sealed interface Outcome {

    /** The task is done; {@code resultJson} is stored as its result (JSON text, at most 64 KiB). */
    record Success(String resultJson) implements Outcome {
    }

    /**
     * The attempt failed in a way that may pass later. {@code notBefore} is the backend's
     * {@code Retry-After}, if it sent one; the retry policy's backoff applies when it is shorter.
     */
    record Retry(String error, Optional<Duration> notBefore) implements Outcome {
    }

    /**
     * The backend took the task and will report its end ({@code 202 Accepted}): the task stays running under its
     * lease, which the backend extends by heartbeats.
     */
    record Accepted() implements Outcome {
    }

    /**
     * The task was not delivered: the circuit breaker of every backend of its queue is open. The attempt does not
     * count; the task goes back to pending as it was.
     */
    record Refused(String reason) implements Outcome {
    }

    /** The task cannot succeed; it fails at once, whatever attempts remain. */
    record Fail(String error) implements Outcome {
    }
}
