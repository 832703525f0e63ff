package io.spindle.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that runs at the real pace from an instant the test sets (and may set again): timed waits on it behave as
 * on the system clock, so a service can be run "at" a daylight-saving change of some other day.
 */
public final class ShiftedClock extends Clock {
    private volatile Duration offset = Duration.ZERO;

    /** From now on, {@link #instant()} reads {@code now} and runs on from there. */
    public ShiftedClock setTo(Instant now) {
        offset = Duration.between(Instant.now(), now);
        return this;
    }

    @Override
    public Instant instant() {
        return Instant.now().plus(offset);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a UTC clock");
    }
}
