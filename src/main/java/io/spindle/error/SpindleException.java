package io.spindle.error;

import java.time.Duration;
import java.util.List;

/**
 * The domain's refusals. Each maps to one HTTP status in one place ({@code io.spindle.http.ProblemMapper}),
 * and none carries SQL text or a stack trace to the client.
 */
public abstract sealed class SpindleException extends RuntimeException {

    protected SpindleException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** One field of a request and what is wrong with it. */
    public record FieldError(String field, String message) {
    }

    /** The named thing does not exist. */
    public static final class NotFound extends SpindleException {
        public NotFound(String message) {
            super(message, null);
        }
    }

    /** The request is valid but the current state forbids it. */
    public static final class Conflict extends SpindleException {
        public Conflict(String message) {
            super(message, null);
        }
    }

    /** The request is understood but not permitted for anyone (e.g. publishing on a reserved topic). */
    public static final class Forbidden extends SpindleException {
        public Forbidden(String message) {
            super(message, null);
        }
    }

    /** The request is malformed or a field is out of range. */
    public static final class Invalid extends SpindleException {
        private final List<FieldError> errors;

        public Invalid(String message, List<FieldError> errors) {
            super(message, null);
            this.errors = List.copyOf(errors);
        }

        public Invalid(String message) {
            this(message, List.of());
        }

        public List<FieldError> errors() {
            return errors;
        }
    }

    /** A body or a part of it is larger than allowed. */
    public static final class TooLarge extends SpindleException {
        public TooLarge(String message) {
            super(message, null);
        }
    }

    /** The body is not JSON. */
    public static final class UnsupportedMediaType extends SpindleException {
        public UnsupportedMediaType(String message) {
            super(message, null);
        }
    }

    /** The client has used up its rate limit (or its open streams); retry after the given time. */
    public static final class RateLimited extends SpindleException {
        private final Duration retryAfter;

        public RateLimited(String message, Duration retryAfter) {
            super(message, null);
            this.retryAfter = retryAfter;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /** The database cannot be reached or the pool has no connection to lend in time; retry later. */
    public static final class Unavailable extends SpindleException {
        private final Duration retryAfter;

        public Unavailable(String message, Duration retryAfter, Throwable cause) {
            super(message, cause);
            this.retryAfter = retryAfter;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }
}
