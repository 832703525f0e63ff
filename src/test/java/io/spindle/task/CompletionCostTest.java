package io.spindle.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
 * Writing the ends of attempts stays a lookup by id however the table's statistics look. After an ANALYZE that
 * saw no running task (a queue that idled) and thousands of claims and completions since the last vacuum, a
 * lease index the completion's {@code state = 'running'} guard implies looked cheaper to the planner: it took
 * the running tasks from it and, in the driver's generic plan, joined each to the whole batch again (a drain
 * with 200,000 finished tasks retained ran at a quarter of its rate). Since V8 that index's predicate is
 * {@code lease_until IS NOT NULL}, which the guard does not imply. Buffers, not time: they do not depend on the
 * machine's load.
 */
class CompletionCostTest {
    private static final int HISTORY = 100_000;
    private static final int CHURN = 20_000;
    private static final int BATCH = 200;

    static TestDatabase.Fresh fresh;
    static Database db;
    static DispatchStore store;

    @BeforeAll
    static void start() {
        fresh = TestDatabase.fresh();
        db = Database.open(TestServer.settings(fresh.jdbcUrl(), fresh).db(), fresh.jdbcUrl(), new SimpleMeterRegistry());
        Migrations.migrate(db.dataSource());
        store = new DispatchStore(db, "cost-test");
    }

    @AfterAll
    static void stop() {
        db.close();
        fresh.close();
    }

    @Test
    void aCompletionLooksItsTasksUpByIdAfterStatisticsThatSawNoRunningTask() throws SQLException {
        try (Connection c = fresh.connect(); Statement st = c.createStatement()) {
            st.execute("""
                    INSERT INTO queues (name, handler, max_concurrent, max_attempts, min_backoff_ms, max_backoff_ms,
                                        retention_ms)
                    VALUES ('history', '{"type": "log"}', 1000, 5, 1000, 300000, 604800000)""");
            st.execute("""
                    INSERT INTO tasks (queue, state, payload, attempts, max_attempts, finished_at, result)
                    SELECT 'history', 'succeeded', '{"n": 1}', 1, 5, now() - interval '1 second' * g, '{"ok": true}'
                    FROM generate_series(1, %d) g""".formatted(HISTORY));
            st.execute("SELECT spindle_recount_queues()");
            st.execute("VACUUM ANALYZE tasks");
            insertPending(st, CHURN);
        }
        for (int done = 0; done < CHURN; done += 1000) { // claims and completions that no vacuum cleans up after
            store.complete(succeeded(claim(1000)));
        }
        try (Connection c = fresh.connect(); Statement st = c.createStatement()) {
            insertPending(st, BATCH);
        }
        List<Completion> batch = succeeded(claim(BATCH));
        assertThat(batch).hasSize(BATCH);

        JsonNode plan = explainCompletion(batch);
        long buffers = plan.path("Shared Hit Blocks").asLong() + plan.path("Shared Read Blocks").asLong();
        System.out.println("CompletionCostTest: completion of " + BATCH + " after " + CHURN + " unvacuumed claims: "
                           + buffers + " buffers");
        assertThat(plan.toString()).as("the completion's plan").contains("tasks_pkey").doesNotContain("tasks_lease");
        assertThat(buffers).as("buffers for %d rows: for each, its id's index descent, its row, its new version and "
                               + "its index entries", BATCH).isLessThan(BATCH * 25L);
        assertThat(store.complete(batch)).as("the batch, completed for real").hasSize(BATCH);
    }

    private static void insertPending(Statement st, int n) throws SQLException {
        st.execute("INSERT INTO tasks (queue, payload, max_attempts) SELECT 'history', '{}', 5 FROM generate_series(1, " + n + ")");
    }

    private static List<Task> claim(int n) {
        return store.claim(List.of(new DispatchStore.Want("history", n, Duration.ofMinutes(5))), n).tasks();
    }

    private static List<Completion> succeeded(List<Task> tasks) {
        List<Completion> completions = new ArrayList<>();
        for (Task task : tasks) {
            completions.add(Completion.of(task, new AttemptEnd.Succeeded("{\"ok\": true}")));
        }
        return completions;
    }

    /** The completion statement of {@code batch} under EXPLAIN (ANALYZE, BUFFERS), rolled back: its top plan node. */
    private static JsonNode explainCompletion(List<Completion> batch) throws SQLException {
        try (Connection c = fresh.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement st = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + DispatchStore.END_ATTEMPTS)) {
                Object[] parameters = DispatchStore.endAttemptsParameters(c, batch, false);
                for (int i = 0; i < parameters.length; i++) {
                    st.setObject(i + 1, parameters[i]);
                }
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    return Json.parse(rs.getString(1)).get(0).path("Plan");
                }
            } finally {
                c.rollback();
            }
        }
    }
}
