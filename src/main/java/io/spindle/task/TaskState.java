package io.spindle.task;

import java.util.Locale;
import java.util.Optional;

/**
 * Where a task is in its life. {@code pending} tasks wait (perhaps until a later {@code runAt});
 * the last three states are final.
 */
public enum TaskState {
    PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public String dbName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isFinished() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public static TaskState fromDb(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    public static Optional<TaskState> parse(String value) {
        for (TaskState state : values()) {
            if (state.dbName().equals(value)) {
                return Optional.of(state);
            }
        }
        return Optional.empty();
    }
}
