package io.spindle.schedule;

import java.time.Instant;
import java.time.ZoneId;

/**
 * When a schedule fires: a cron expression read in a time zone ({@link CronTiming}) or a fixed interval
 * ({@link EveryTiming}). Fire times are whole microseconds, as PostgreSQL stores them, so a fire time read back from
 * the database equals the one computed.
 */
public sealed interface Timing permits CronTiming, EveryTiming {

    /** The zone the schedule was given (an interval's fire times do not depend on it). */
    ZoneId zone();

    /** The first fire time strictly after {@code instant}. */
    Instant nextAfter(Instant instant);

    /** The latest fire time at or before {@code instant}, or {@code fireTime} (a fire time at or before it) if none is later. */
    Instant latestAtOrBefore(Instant instant, Instant fireTime);

    /** Whether both fire at the same times (then a replaced schedule keeps its next fire time). */
    boolean sameTimesAs(Timing other);
}
