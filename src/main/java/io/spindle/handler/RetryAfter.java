package io.spindle.handler;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Reads a {@code Retry-After} header (RFC 9110 §10.2.3: delay seconds or an HTTP-date). The delay is
 * capped at {@link #MAX}, so a misbehaving backend cannot park a task indefinitely.
 */
final class RetryAfter {
    static final Duration MAX = Duration.ofDays(1);

    private RetryAfter() {
    }

    /** The delay the header asks for from now; empty when it is absent or unreadable. */
    static Optional<Duration> parse(String value, Clock clock) {
        if (value == null) {
            return Optional.empty();
        }
        String text = value.trim();
        if (text.isEmpty()) {
            return Optional.empty();
        }
        if (allDigits(text)) {
            // more than 10 digits is beyond MAX anyway, and would overflow a long soon after
            long seconds = text.length() > 10 ? Long.MAX_VALUE : Long.parseLong(text);
            return Optional.of(seconds >= MAX.toSeconds() ? MAX : Duration.ofSeconds(seconds));
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration delay = Duration.between(clock.instant(), at.toInstant());
            if (delay.isNegative()) {
                return Optional.of(Duration.ZERO);
            }
            return Optional.of(delay.compareTo(MAX) > 0 ? MAX : delay);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static boolean allDigits(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }
}
