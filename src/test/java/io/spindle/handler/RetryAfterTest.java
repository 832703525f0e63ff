package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class RetryAfterTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-20T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void readsDelaySeconds() {
        assertThat(RetryAfter.parse("7", CLOCK)).contains(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse(" 0 ", CLOCK)).contains(Duration.ZERO);
    }

    @Test
    void readsAnHttpDateAgainstTheClock() {
        assertThat(RetryAfter.parse("Fri, 20 Nov 2026 10:01:30 GMT", CLOCK)).contains(Duration.ofSeconds(90));
    }

    @Test
    void aDateInThePastMeansNow() {
        assertThat(RetryAfter.parse("Fri, 20 Nov 2026 09:00:00 GMT", CLOCK)).contains(Duration.ZERO);
    }

    @Test
    void capsTheDelayAtOneDay() {
        assertThat(RetryAfter.parse("864000", CLOCK)).contains(RetryAfter.MAX);
        assertThat(RetryAfter.parse("99999999999999999999999", CLOCK)).contains(RetryAfter.MAX);
        assertThat(RetryAfter.parse("Sat, 20 Nov 2027 10:00:00 GMT", CLOCK)).contains(RetryAfter.MAX);
    }

    @Test
    void ignoresWhatItCannotRead() {
        assertThat(RetryAfter.parse(null, CLOCK)).isEmpty();
        assertThat(RetryAfter.parse("", CLOCK)).isEmpty();
        assertThat(RetryAfter.parse("-5", CLOCK)).isEmpty();
        assertThat(RetryAfter.parse("1.5", CLOCK)).isEmpty();
        assertThat(RetryAfter.parse("soon", CLOCK)).isEmpty();
    }
}
