package io.spindle.task;

import java.time.Duration;

/**
 * How an attempt ended: the three ways out of {@code running} that count the attempt (see
 * docs/state-machine.md). Decided by the worker from the handler's outcome, or by lease rescue for an
 * attempt that never reported; written by one guarded statement either way.
 */
public sealed interface AttemptEnd {

    /** The task is done; {@code resultJson} is stored as its result. */
    record Succeeded(String resultJson) implements AttemptEnd {
    }

    /**
     * The task goes back to {@code pending}, due {@code delay} after the write, measured on the database's
     * clock (so instances whose clocks disagree still agree on when it is due).
     */
    record Retry(String error, Duration delay) implements AttemptEnd {
    }

    /** The task fails for good. */
    record Failed(String error) implements AttemptEnd {
    }
}
