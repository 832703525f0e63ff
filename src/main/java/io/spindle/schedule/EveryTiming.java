package io.spindle.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

/**
 * A fixed interval of at least one second, in whole milliseconds. Fire times are the multiples of the interval since
 * 1970-01-01T00:00:00Z (as BullMQ's {@code every}), so every instance computes the same ones and {@code PT1M} fires
 * at the start of each minute.
 */
public record EveryTiming(Duration interval, ZoneId zone) implements Timing {
    public static final Duration MIN = Duration.ofSeconds(1);

    public EveryTiming {
        if (interval.compareTo(MIN) < 0) {
            throw new IllegalArgumentException("must be at least PT1S");
        }
        interval = Duration.ofMillis(interval.toMillis());
    }

    @Override
    public Instant nextAfter(Instant instant) {
        long step = interval.toMillis();
        return Instant.ofEpochMilli(Math.addExact(Math.floorDiv(instant.toEpochMilli(), step), 1) * step);
    }

    @Override
    public Instant latestAtOrBefore(Instant instant, Instant fireTime) {
        long step = interval.toMillis();
        Instant latest = Instant.ofEpochMilli(Math.floorDiv(instant.toEpochMilli(), step) * step);
        return latest.isAfter(fireTime) ? latest : fireTime;
    }

    @Override
    public boolean sameTimesAs(Timing other) {
        return other instanceof EveryTiming every && every.interval.equals(interval);
    }
}
