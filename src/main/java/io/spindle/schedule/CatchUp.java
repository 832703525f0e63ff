package io.spindle.schedule;

import java.util.Locale;
import java.util.Optional;

/**
 * What a schedule does about the fire times that passed while no instance could create their tasks (all were down,
 * the database was out of reach) or while it was paused: {@code none} skips them, {@code last} creates one task for
 * the most recent of them, then goes on.
 */
public enum CatchUp {
    NONE, LAST;

    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<CatchUp> parse(String text) {
        for (CatchUp value : values()) {
            if (value.apiName().equals(text)) {
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }
}
