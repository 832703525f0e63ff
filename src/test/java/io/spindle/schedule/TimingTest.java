package io.spindle.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fire times of cron expressions and intervals: the fields, names, macros and day rules of Unix cron, and SPEC §9's
 * daylight-saving rules (a local time in a gap fires at the first instant after it; one in an overlap fires once, at
 * its first occurrence).
 */
class TimingTest {
    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static List<Instant> next(Timing timing, String from, int count) {
        List<Instant> times = new ArrayList<>();
        Instant at = Instant.parse(from);
        for (int i = 0; i < count; i++) {
            at = timing.nextAfter(at);
            times.add(at);
        }
        return times;
    }

    private static List<String> nextText(String cron, ZoneId zone, String from, int count) {
        return next(CronTiming.parse(cron, zone), from, count).stream().map(Instant::toString).toList();
    }

    @Test
    void berlinsSpringGapFiresOnceAtTheFirstInstantAfterIt() {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not exist that day
        assertThat(nextText("30 2 * * *", BERLIN, "2026-03-27T12:00:00Z", 4)).containsExactly(
                "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z");
    }

    @Test
    void berlinsAutumnOverlapFiresOnceAtTheFirstOccurrence() {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30Z and again at 01:30Z
        assertThat(nextText("30 2 * * *", BERLIN, "2026-10-24T12:00:00Z", 3)).containsExactly(
                "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z");
        // asked from inside the second pass, the overlap's 02:30 has already fired
        assertThat(nextText("30 2 * * *", BERLIN, "2026-10-25T01:00:00Z", 1)).containsExactly("2026-10-26T01:30:00Z");
    }

    @Test
    void severalTimesInAGapFireOnceTogether() {
        assertThat(nextText("*/20 2 * * *", BERLIN, "2026-03-29T00:30:00Z", 3)).containsExactly(
                "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T00:20:00Z");
    }

    @Test
    void anHourlyCronRunsThroughTheOverlapOnce() {
        assertThat(nextText("@hourly", BERLIN, "2026-10-24T23:30:00Z", 4)).containsExactly(
                "2026-10-25T00:00:00Z", // 02:00 CEST
                "2026-10-25T02:00:00Z", // 03:00 CET (02:00 CET, a second 02:00, does not fire again)
                "2026-10-25T03:00:00Z", "2026-10-25T04:00:00Z");
    }

    @ParameterizedTest
    @CsvSource({
            "@hourly, 2026-02-01T01:00:00Z",
            "@daily, 2026-02-02T00:00:00Z",
            "@weekly, 2026-02-08T00:00:00Z", // Sunday
            "@monthly, 2026-03-01T00:00:00Z",
            "@yearly, 2027-01-01T00:00:00Z",
            "0 9 * * MON-FRI, 2026-02-02T09:00:00Z",
            "0 0 * JAN mon, 2027-01-04T00:00:00Z",
            "0 0 * * 7, 2026-02-08T00:00:00Z", // 7 is Sunday, as 0
            "0 0 * * 0, 2026-02-08T00:00:00Z",
            "*/15 * * * *, 2026-02-01T00:15:00Z",
            "5 1-3/2 * * *, 2026-02-01T01:05:00Z",
            "'0 0 1,15 * *', 2026-02-15T00:00:00Z",
            "0 0 29 2 *, 2028-02-29T00:00:00Z"
    })
    void fieldsNamesAndMacros(String cron, String first) {
        assertThat(nextText(cron, UTC, "2026-02-01T00:00:00Z", 1)).containsExactly(first);
    }

    @Test
    void restrictedDayOfMonthAndDayOfWeekMatchEither() {
        // as Vixie cron: the 13th of each month, and every Friday
        assertThat(nextText("0 0 13 * FRI", UTC, "2026-04-01T00:00:00Z", 4)).containsExactly(
                "2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z", "2026-04-13T00:00:00Z", "2026-04-17T00:00:00Z");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "0 0 32 * *", "0 0 * 13 *",
                            "0 0 * * 8", "5-1 * * * *", "*/0 * * * *", "0 0 L * *", "0 0 ? * *", "0 0 * * 1#2",
                            "@reboot", "@annually", "@HOURLY", "0 0 31 2 *", "0 0 * FOO *", "hello"})
    void badExpressionsAreRefusedWithAReason(String cron) {
        assertThatThrownBy(() -> CronTiming.parse(cron, UTC)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageMatching("(is not a five-field cron expression|never fires).*");
    }

    @Test
    void theLatestFireTimeAtOrBeforeAnInstant() {
        CronTiming daily = CronTiming.parse("30 2 * * *", BERLIN);
        Instant oldNext = Instant.parse("2026-03-28T01:30:00Z");
        assertThat(daily.latestAtOrBefore(Instant.parse("2026-03-31T12:00:00Z"), oldNext))
                .isEqualTo(Instant.parse("2026-03-31T00:30:00Z"));
        assertThat(daily.latestAtOrBefore(Instant.parse("2026-03-29T01:00:00Z"), oldNext))
                .as("a gap's fire time, exactly at it").isEqualTo(Instant.parse("2026-03-29T01:00:00Z"));
        assertThat(daily.latestAtOrBefore(Instant.parse("2026-03-28T01:30:00Z"), oldNext)).isEqualTo(oldNext);
        // inside the second pass of the overlap, the latest fire time is the first pass's 02:45, not 02:30
        CronTiming quarters = CronTiming.parse("*/15 2 * * *", BERLIN);
        assertThat(quarters.latestAtOrBefore(Instant.parse("2026-10-25T01:40:00Z"), Instant.parse("2026-10-24T00:00:00Z")))
                .isEqualTo(Instant.parse("2026-10-25T00:45:00Z"));
    }

    @Test
    void intervalsAreMultiplesOfTheirLengthSinceTheEpoch() {
        EveryTiming every = new EveryTiming(Duration.ofSeconds(30), UTC);
        assertThat(next(every, "2026-02-01T00:00:10.5Z", 3)).containsExactly(
                Instant.parse("2026-02-01T00:00:30Z"), Instant.parse("2026-02-01T00:01:00Z"),
                Instant.parse("2026-02-01T00:01:30Z"));
        assertThat(every.nextAfter(Instant.parse("2026-02-01T00:00:30Z"))).isEqualTo(Instant.parse("2026-02-01T00:01:00Z"));
        assertThat(every.latestAtOrBefore(Instant.parse("2026-02-01T00:05:10Z"), Instant.parse("2026-02-01T00:01:00Z")))
                .isEqualTo(Instant.parse("2026-02-01T00:05:00Z"));
        assertThatThrownBy(() -> new EveryTiming(Duration.ofMillis(999), UTC)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void replacingWithTheSameTimesKeepsTheNextFireTime() {
        assertThat(CronTiming.parse("30 2 * * *", BERLIN).sameTimesAs(CronTiming.parse("30 2 * * *", BERLIN))).isTrue();
        assertThat(CronTiming.parse("30 2 * * *", BERLIN).sameTimesAs(CronTiming.parse("30 2 * * *", UTC))).isFalse();
        assertThat(new EveryTiming(Duration.ofSeconds(5), UTC).sameTimesAs(new EveryTiming(Duration.ofSeconds(5), BERLIN)))
                .isTrue();
    }
}
