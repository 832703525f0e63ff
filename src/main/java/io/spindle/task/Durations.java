package io.spindle.task;

import java.time.Duration;

/**
 * ISO-8601 text for durations as people write them: whole days as {@code P7D}, the rest as
 * {@link Duration#toString()} ({@code PT30S}).
 */
public final class Durations {
    private static final long SECONDS_PER_DAY = 86_400;

    private Durations() {
    }

    public static String format(Duration duration) {
        long seconds = duration.getSeconds();
        if (duration.getNano() == 0 && seconds > 0 && seconds % SECONDS_PER_DAY == 0) {
            return "P" + seconds / SECONDS_PER_DAY + "D";
        }
        return duration.toString();
    }
}
