package io.spindle.http;

import java.time.Duration;
import java.util.Optional;

import io.spindle.config.Settings;

/**
 * When the guard cuts a connection, as a pure function of where the connection is and the time: a request's
 * line and headers get {@code header-timeout} from its first byte (the first request from the accept); a body
 * gets {@code header-timeout} plus the time its bytes so far take at {@code min-body-rate}, and counts only while
 * the server waits for it; a connection waiting for its next request gets {@code idle-timeout}. Handling and
 * responding (long-polls, event streams) have no limit here.
 */
record ConnectionRules(long headerTimeoutNanos, long minBodyRate, long idleTimeoutNanos) {

    static ConnectionRules of(Settings.Connections settings) {
        return new ConnectionRules(settings.headerTimeout().toNanos(), settings.minBodyRate(),
                                   settings.idleTimeout().toNanos());
    }

    /** Where a connection is in its request cycle. */
    enum Stage {
        /** Reading a request's line and headers. */
        HEADERS,
        /** Reading a request's body. */
        BODY,
        /** The request is with its handler. */
        HANDLING,
        /** The response's status is sent; the handler may still write (an event stream). */
        RESPONDING,
        /** The response is done; waiting for the next request's first byte. */
        WAITING,
        /** Cut by the guard; nothing moves it on. */
        CUT
    }

    /**
     * A stage and when it began ({@link System#nanoTime()}), with the bytes received on the connection then.
     */
    record Phase(Stage stage, long sinceNanos, long bytesAtStart) {
        static final Phase CUT = new Phase(Stage.CUT, 0, 0);
    }

    /** Why a connection was cut; the tag of {@code spindle_connections_reaped_total}. */
    enum Reason {
        HEADER_TIMEOUT("header-timeout", true),
        SLOW_BODY("slow-body", true),
        IDLE("idle", false);

        private final String tag;
        private final boolean answered;

        Reason(String tag, boolean answered) {
            this.tag = tag;
            this.answered = answered;
        }

        String tag() {
            return tag;
        }

        /** Whether the client is told with a 408 before the close (an idle client asked nothing). */
        boolean answered() {
            return answered;
        }
    }

    /**
     * @param received bytes received on the connection so far
     * @param waitingForBytes whether the server is blocked reading the connection now
     */
    Optional<Reason> verdict(Phase phase, long nowNanos, long received, boolean waitingForBytes) {
        long age = nowNanos - phase.sinceNanos();
        return switch (phase.stage()) {
            case HEADERS -> age >= headerTimeoutNanos ? Optional.of(Reason.HEADER_TIMEOUT) : Optional.empty();
            case BODY -> waitingForBytes && age >= bodyAllowance(received - phase.bytesAtStart())
                    ? Optional.of(Reason.SLOW_BODY) : Optional.empty();
            case WAITING -> age >= idleTimeoutNanos ? Optional.of(Reason.IDLE) : Optional.empty();
            case HANDLING, RESPONDING, CUT -> Optional.empty();
        };
    }

    private long bodyAllowance(long bodyBytes) {
        long earned = Duration.ofSeconds(bodyBytes / minBodyRate).toNanos()
                + (bodyBytes % minBodyRate) * 1_000_000_000L / minBodyRate;
        return headerTimeoutNanos + earned;
    }
}
