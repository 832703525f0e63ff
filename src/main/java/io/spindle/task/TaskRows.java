package io.spindle.task;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.function.Function;

import io.helidon.dbclient.DbRow;

/**
 * Maps a row of {@code tasks} (selected with {@link #COLUMNS}) to a {@link Task}, from JDBC or DbClient.
 */
final class TaskRows {
    private static final String COLUMN_TEMPLATE = """
            %1$sid, %1$squeue, %1$sstate, %1$spayload::text AS payload, %1$spriority, %1$srun_at, %1$sattempts,
            %1$smax_attempts, %1$sidempotency_key, %1$slast_error, %1$sresult::text AS result, %1$screated_at,
            %1$supdated_at, %1$sfinished_at""";

    /** The columns every task query selects, in the form {@link #of} reads. */
    static final String COLUMNS = columns("");

    /** {@link #COLUMNS} with each column prefixed (e.g. {@code "t."}), for joins and aliased updates. */
    static String columns(String prefix) {
        return COLUMN_TEMPLATE.formatted(prefix);
    }

    private TaskRows() {
    }

    static Task of(ResultSet rs) throws SQLException {
        try {
            return map(column -> {
                try {
                    return rs.getObject(column);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof SQLException sql) {
                throw sql;
            }
            throw e;
        }
    }

    static Task of(DbRow row) {
        return map(column -> row.column(column).get(Object.class));
    }

    private static Task map(Function<String, Object> column) {
        return new Task(
                ((Number) column.apply("id")).longValue(),
                (String) column.apply("queue"),
                TaskState.fromDb((String) column.apply("state")),
                (String) column.apply("payload"),
                ((Number) column.apply("priority")).intValue(),
                instant(column.apply("run_at")),
                ((Number) column.apply("attempts")).intValue(),
                ((Number) column.apply("max_attempts")).intValue(),
                (String) column.apply("idempotency_key"),
                (String) column.apply("last_error"),
                (String) column.apply("result"),
                instant(column.apply("created_at")),
                instant(column.apply("updated_at")),
                instant(column.apply("finished_at")));
    }

    private static Instant instant(Object value) {
        return switch (value) {
            case null -> null;
            case Timestamp ts -> ts.toInstant();
            case java.time.OffsetDateTime odt -> odt.toInstant();
            default -> throw new IllegalStateException("unexpected timestamp type " + value.getClass());
        };
    }
}
