package io.spindle.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * Maps a row of {@code tasks} (selected with {@link #COLUMNS}) to a {@link Task}. Public for the stores of other
 * packages that return tasks (schedules).
 */
public final class TaskRows {
    private static final String COLUMN_TEMPLATE = """
            %1$sid, %1$squeue, %1$sstate, %1$spayload::text AS payload, %1$spriority, %1$srun_at, %1$sattempts,
            %1$smax_attempts, %1$sidempotency_key, %1$slast_error, %1$sresult::text AS result, %1$screated_at,
            %1$supdated_at, %1$sfinished_at, %1$sconcurrency_key, %1$slease_token::text AS lease_token, %1$sschedule""";

    /** The columns every task query selects, in the form {@link #of} reads. */
    public static final String COLUMNS = columns("");

    /** {@link #COLUMNS} with each column prefixed (e.g. {@code "t."}), for joins and aliased updates. */
    public static String columns(String prefix) {
        return COLUMN_TEMPLATE.formatted(prefix);
    }

    private TaskRows() {
    }

    public static Task of(ResultSet rs) throws SQLException {
        return new Task(
                rs.getLong("id"),
                rs.getString("queue"),
                TaskState.fromDb(rs.getString("state")),
                rs.getString("payload"),
                rs.getInt("priority"),
                instant(rs.getObject("run_at")),
                rs.getInt("attempts"),
                rs.getInt("max_attempts"),
                rs.getString("idempotency_key"),
                rs.getString("last_error"),
                rs.getString("result"),
                instant(rs.getObject("created_at")),
                instant(rs.getObject("updated_at")),
                instant(rs.getObject("finished_at")),
                nullIfEmpty(rs.getString("concurrency_key")),
                rs.getString("lease_token"),
                rs.getString("schedule"));
    }

    /** The empty key stands for "no key" in a keyed queue (see V6__flow_control.sql). */
    private static String nullIfEmpty(String key) {
        return key == null || key.isEmpty() ? null : key;
    }

    private static Instant instant(Object value) {
        return switch (value) {
            case null -> null;
            case Timestamp ts -> ts.toInstant();
            case OffsetDateTime odt -> odt.toInstant();
            default -> throw new IllegalStateException("unexpected timestamp type " + value.getClass());
        };
    }
}
