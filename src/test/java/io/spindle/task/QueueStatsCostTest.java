package io.spindle.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.db.Database;
import io.spindle.db.Migrations;
import io.spindle.testing.Json;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A queue's stats cost the same whatever history it retains: the stats statement reads as many buffers with
 * 200,000 finished tasks in the queue as with none, and finds the oldest due task and the scheduled count in the
 * pending tasks' index. Buffers, not time: they do not depend on the machine's load.
 */
class QueueStatsCostTest {
    private static final int HISTORY = 200_000;

    static TestDatabase.Fresh fresh;
    static Database db;
    static QueueStore queues;

    @BeforeAll
    static void start() {
        fresh = TestDatabase.fresh();
        db = Database.open(TestServer.settings(fresh.jdbcUrl(), fresh).db(), fresh.jdbcUrl(), new SimpleMeterRegistry());
        Migrations.migrate(db.dataSource());
        queues = new QueueStore(db);
    }

    @AfterAll
    static void stop() {
        db.close();
        fresh.close();
    }

    @Test
    void theStatsStatementReadsNoMoreBuffersWithTwoHundredThousandFinishedTasks() throws SQLException {
        try (Connection c = fresh.connect(); Statement st = c.createStatement()) {
            st.execute("""
                    INSERT INTO queues (name, handler, max_concurrent, max_attempts, min_backoff_ms, max_backoff_ms,
                                        retention_ms, paused)
                    VALUES ('history', '{"type": "log"}', 10, 5, 1000, 300000, 604800000, true)""");
            st.execute("""
                    INSERT INTO tasks (queue, state, payload, run_at, attempts, max_attempts)
                    SELECT 'history', 'pending', '{}', now() - interval '1 minute' * g, 0, 5 FROM generate_series(1, 3) g""");
            st.execute("SELECT spindle_recount_queues()");
            st.execute("VACUUM ANALYZE tasks");
            long empty = buffers(c);

            st.execute("""
                    INSERT INTO tasks (queue, state, payload, run_at, attempts, max_attempts, finished_at, result)
                    SELECT 'history', CASE WHEN g %% 10 = 0 THEN 'failed' ELSE 'succeeded' END, '{"n": 1}',
                           now() - interval '1 hour', 1, 5, now() - interval '1 second' * g, '{"ok": true}'
                    FROM generate_series(1, %d) g""".formatted(HISTORY));
            st.execute("SELECT spindle_recount_queues()");
            st.execute("VACUUM ANALYZE tasks");
            long full = buffers(c);
            String plan = explain(c, "history").toString();

            System.out.println("QueueStatsCostTest: stats statement buffers, empty " + empty + ", with " + HISTORY
                               + " finished tasks " + full);
            assertThat(full).as("buffers with %d finished tasks (empty: %d)", HISTORY, empty).isLessThanOrEqualTo(empty + 4);
            assertThat(full).as("a handful of pages, not the history's thousands").isLessThan(50);
            assertThat(plan).as("the oldest due task and the scheduled count from the pending index")
                    .contains("tasks_pending_run").doesNotContain("Seq Scan");
        }
        QueueStats stats = queues.get("history").stats();
        assertThat(stats.succeeded() + stats.failed()).isEqualTo(HISTORY);
        assertThat(stats.failed()).isEqualTo(HISTORY / 10);
        assertThat(stats.pending()).isEqualTo(3);
        assertThat(stats.oldestPendingAge()).isBetween(java.time.Duration.ofMinutes(3), java.time.Duration.ofMinutes(4));
    }

    /** Shared buffers (hit + read) the stats statement of queue 'history' touched, as EXPLAIN (ANALYZE, BUFFERS) counts them. */
    private static long buffers(Connection c) throws SQLException {
        JsonNode plan = explain(c, "history").get(0).path("Plan");
        return plan.path("Shared Hit Blocks").asLong() + plan.path("Shared Read Blocks").asLong();
    }

    private static JsonNode explain(Connection c, String queue) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + QueueStore.SELECT_ONE)) {
            st.setString(1, queue);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return Json.parse(rs.getString(1));
            }
        }
    }
}
