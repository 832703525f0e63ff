package io.spindle.schedule;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.Optional;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

/**
 * A standard five-field cron expression (minute hour day-of-month month day-of-week, with lists, ranges, steps and
 * the names {@code JAN}…{@code DEC}, {@code SUN}…{@code SAT}; day-of-week 0 and 7 are Sunday; when both day fields
 * are restricted a day matching either fires, as in Vixie cron) or a macro ({@code @hourly}, {@code @daily},
 * {@code @weekly}, {@code @monthly}, {@code @yearly}), read in a time zone. cron-utils parses it and finds the
 * matching wall-clock times; mapping them to instants is done here, by SPEC §9's rules for daylight saving: a local
 * time that does not exist (a gap) fires once, at the first instant after the gap, and a local time that occurs twice
 * (an overlap) fires once, at its first occurrence.
 */
public final class CronTiming implements Timing {
    private static final int MAX_LENGTH = 256;
    private static final CronParser PARSER = new CronParser(definition());

    private final String expression;
    private final ZoneId zone;
    private final ExecutionTime times;

    private CronTiming(String expression, ZoneId zone, ExecutionTime times) {
        this.expression = expression;
        this.zone = zone;
        this.times = times;
    }

    /**
     * @throws IllegalArgumentException with a message for the client when the expression is not one Spindle reads,
     *                                  or never fires
     */
    public static CronTiming parse(String expression, ZoneId zone) {
        if (expression.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("must be at most " + MAX_LENGTH + " characters");
        }
        Cron cron;
        try {
            cron = PARSER.parse(expression);
        } catch (RuntimeException e) {
            String reason = e.getMessage() == null ? "" : e.getMessage().replace("Failed to parse cron expression. ", "");
            throw new IllegalArgumentException("is not a five-field cron expression or a macro (@hourly, @daily, @weekly, "
                                               + "@monthly, @yearly)" + (reason.isBlank() ? "" : ": " + reason));
        }
        CronTiming timing = new CronTiming(expression, zone, ExecutionTime.forCron(cron));
        if (timing.nextLocal(LocalDateTime.of(2000, 1, 1, 0, 0)).isEmpty()) {
            throw new IllegalArgumentException("never fires");
        }
        return timing;
    }

    /** cron-utils' Unix crontab, with the macros of SPEC §9. */
    private static CronDefinition definition() {
        return CronDefinitionBuilder.defineCron()
                .withMinutes().withValidRange(0, 59).withStrictRange().and()
                .withHours().withValidRange(0, 23).withStrictRange().and()
                .withDayOfMonth().withValidRange(1, 31).withStrictRange().and()
                .withMonth().withValidRange(1, 12).withStrictRange().and()
                .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0).withStrictRange().and()
                .withSupportedNicknameHourly()
                .withSupportedNicknameDaily()
                .withSupportedNicknameWeekly()
                .withSupportedNicknameMonthly()
                .withSupportedNicknameYearly()
                .instance();
    }

    public String expression() {
        return expression;
    }

    @Override
    public ZoneId zone() {
        return zone;
    }

    @Override
    public Instant nextAfter(Instant instant) {
        LocalDateTime from = LocalDateTime.ofInstant(instant, zone);
        while (true) {
            LocalDateTime local = nextLocal(from).orElseThrow(
                    () -> new IllegalStateException("cron '" + expression + "' has no fire time after " + instant));
            Instant at = instantOf(local);
            if (at.isAfter(instant)) {
                return at;
            }
            from = local; // a time in a gap or the second pass of an overlap, already fired at its first instant
        }
    }

    @Override
    public Instant latestAtOrBefore(Instant instant, Instant fireTime) {
        LocalDateTime local = LocalDateTime.ofInstant(instant, zone).plusNanos(1);
        Instant latest = times.lastExecution(local.atZone(ZoneOffset.UTC))
                .map(z -> instantOf(z.toLocalDateTime()))
                .filter(at -> at.isAfter(fireTime) && !at.isAfter(instant))
                .orElse(fireTime);
        // the wall clock runs back in an overlap: a fire time of its first pass may come after the one found
        for (Instant next = nextAfter(latest); !next.isAfter(instant); next = nextAfter(latest)) {
            latest = next;
        }
        return latest;
    }

    @Override
    public boolean sameTimesAs(Timing other) {
        return other instanceof CronTiming cron && cron.expression.equals(expression) && cron.zone.equals(zone);
    }

    /** The next matching wall-clock time strictly after {@code local}: cron-utils reads it in UTC, which has no DST. */
    private Optional<LocalDateTime> nextLocal(LocalDateTime local) {
        return times.nextExecution(local.atZone(ZoneOffset.UTC)).map(ZonedDateTime::toLocalDateTime);
    }

    /** A wall-clock time's instant: in a gap, the first instant after it; in an overlap, the first occurrence. */
    private Instant instantOf(LocalDateTime local) {
        ZoneOffsetTransition transition = zone.getRules().getTransition(local);
        if (transition != null && transition.isGap()) {
            return transition.getInstant();
        }
        return local.atZone(zone).toInstant(); // atZone takes the earlier offset of an overlap
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CronTiming cron && sameTimesAs(cron);
    }

    @Override
    public int hashCode() {
        return expression.hashCode() * 31 + zone.hashCode();
    }

    @Override
    public String toString() {
        return "cron '" + expression + "' in " + zone;
    }
}
