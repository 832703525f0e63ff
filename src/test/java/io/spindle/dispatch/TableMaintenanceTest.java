package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.db.Migrations;
import io.spindle.task.MaintenanceStore;
import io.spindle.task.NewTask;
import io.spindle.task.TaskStore;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The maintenance duty vacuums a Spindle table whose dead rows passed the threshold (and only then, and not when
 * disabled), folds the queue counts of connections that are gone without changing a sum, and warns at start when
 * the server's autovacuum is off. PostgreSQL's statistics arrive asynchronously: each churn forces its backend's
 * next flush and the test waits for the figures with Awaitility.
 */
class TableMaintenanceTest {
    private static final int CHURN = 30_000;

    private TestDatabase.Fresh fresh;
    private Database db;
    private SimpleMeterRegistry registry;
    private MaintenanceStore store;

    @BeforeEach
    void start() {
        fresh = TestDatabase.fresh();
        registry = new SimpleMeterRegistry();
        db = Database.open(TestServer.settings(fresh.jdbcUrl(), fresh).db(), fresh.jdbcUrl(), registry);
        Migrations.migrate(db.dataSource());
        store = new MaintenanceStore(db);
    }

    @AfterEach
    void stop() {
        db.close();
        fresh.close();
    }

    @Test
    void aTableWhoseDeadRowsPassTheThresholdIsVacuumed() throws SQLException {
        churn(CHURN);
        await("the statistics show the dead rows").atMost(Duration.ofSeconds(20))
                .until(() -> deadTuples("tasks") >= CHURN);
        TableMaintenance duty = duty(new Settings.Maintenance(Duration.ofSeconds(30), true, 10_000, 10));

        duty.run();

        await("the vacuum shows in the statistics").atMost(Duration.ofSeconds(20)).until(() -> vacuumed("tasks"));
        await().atMost(Duration.ofSeconds(20)).until(() -> deadTuples("tasks") < 1_000);
        assertThat(vacuums("tasks")).isEqualTo(1);
        assertThat(vacuumed("queues")).as("a table below the threshold is left alone").isFalse();
        assertThat(registry.get("spindle.table.dead.tuples").tag("table", "tasks").gauge().value()).isGreaterThanOrEqualTo(CHURN);
    }

    @Test
    void belowTheThresholdOrWhenDisabledNothingIsVacuumed() throws SQLException {
        churn(CHURN);
        await("the statistics show the dead rows").atMost(Duration.ofSeconds(20))
                .until(() -> deadTuples("tasks") >= CHURN);

        duty(new Settings.Maintenance(Duration.ofSeconds(30), true, CHURN * 2, 10)).run();
        duty(new Settings.Maintenance(Duration.ofSeconds(30), false, 0, 0)).run();

        assertThat(vacuums("tasks")).isZero();
        assertThat(vacuumed("tasks")).isFalse();
        assertThat(deadTuples("tasks")).isGreaterThanOrEqualTo(CHURN);
    }

    @Test
    void theCountsOfClosedConnectionsAreFoldedIntoOneRowPerQueue() throws SQLException {
        db.update("""
                INSERT INTO queues (name, handler, max_concurrent, max_attempts, min_backoff_ms, max_backoff_ms, retention_ms)
                VALUES ('folded', '{"type": "log"}', 10, 5, 1000, 300000, 604800000)""");
        Settings.Db settings = TestServer.settings(fresh.jdbcUrl(), fresh).db();
        for (int pool = 0; pool < 3; pool++) {
            try (Database other = Database.open(settings, fresh.jdbcUrl(), new SimpleMeterRegistry())) {
                new TaskStore(other).insert(List.of(new NewTask("folded", "{}", 0, null, null, null),
                                                    new NewTask("folded", "{}", 0, null, null, null)));
            }
        }
        assertThat(countRows("folded")).isGreaterThan(1);

        TableMaintenance duty = duty(Settings.Maintenance.DEFAULTS);
        await("the closed connections' backends are gone and their rows folded").atMost(Duration.ofSeconds(20))
                .until(() -> {
                    duty.run();
                    return countRows("folded") == 1;
                });
        try (Connection c = fresh.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT slot, pending FROM queue_counts WHERE queue = 'folded'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt("slot")).isZero();
            assertThat(rs.getLong("pending")).as("the sum is kept").isEqualTo(6);
        }
    }

    @Test
    void aTaskOfAKeyedQueueStoredWithoutAKeyGetsTheEmptyKey() throws SQLException {
        // what an enqueue that raced the PUT making its queue keyed leaves behind
        db.update("""
                INSERT INTO queues (name, handler, max_concurrent, max_attempts, min_backoff_ms, max_backoff_ms, retention_ms,
                                    key_concurrency)
                VALUES ('keyed', '{"type": "log"}', 10, 5, 1000, 300000, 604800000, 2)""");
        db.update("INSERT INTO tasks (queue, payload, max_attempts) VALUES ('keyed', '{}', 5), ('keyed', '{}', 5)");
        db.update("INSERT INTO tasks (queue, payload, max_attempts, concurrency_key) VALUES ('keyed', '{}', 5, 'tenant')");

        duty(Settings.Maintenance.DEFAULTS).run();

        try (Connection c = fresh.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT concurrency_key, count(*) AS n FROM tasks GROUP BY 1 ORDER BY 1")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("concurrency_key")).isEmpty();
            assertThat(rs.getInt("n")).isEqualTo(2);
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString("concurrency_key")).as("a key of its own is kept").isEqualTo("tenant");
            assertThat(rs.next()).isFalse();
        }
    }

    @Test
    void startingWarnsWhenTheServersAutovacuumIsOff() throws SQLException {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(TableMaintenance.class.getName());
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            duty(Settings.Maintenance.DEFAULTS).checkAutovacuum();
        } finally {
            logger.removeHandler(handler);
        }
        boolean off = !showAutovacuum().equals("on");
        assertThat(records.stream().filter(r -> r.getLevel() == Level.WARNING)
                           .anyMatch(r -> r.getMessage().contains("autovacuum is off")))
                .as("a warning exactly when SHOW autovacuum says off (here: %s)", showAutovacuum()).isEqualTo(off);
        assertThat(registry.get("spindle.db.autovacuum").gauge().value()).isEqualTo(off ? 0 : 1);
    }

    private TableMaintenance duty(Settings.Maintenance settings) {
        return new TableMaintenance(store, settings, registry);
    }

    /** {@code rows} tasks inserted and deleted again: as many dead rows, then the statistics flushed. */
    private void churn(int rows) throws SQLException {
        try (Connection c = fresh.connect(); Statement st = c.createStatement()) {
            st.execute("""
                    INSERT INTO queues (name, handler, max_concurrent, max_attempts, min_backoff_ms, max_backoff_ms, retention_ms)
                    VALUES ('churn', '{"type": "log"}', 10, 5, 1000, 300000, 604800000)""");
            st.execute("INSERT INTO tasks (queue, payload, max_attempts) SELECT 'churn', '{}', 5 FROM generate_series(1, "
                       + rows + ")");
            st.execute("DELETE FROM tasks WHERE queue = 'churn'");
            st.execute("SELECT pg_stat_force_next_flush()");
        }
    }

    private long deadTuples(String table) throws SQLException {
        return statistic(table, "n_dead_tup");
    }

    private boolean vacuumed(String table) throws SQLException {
        return statistic(table, "CASE WHEN last_vacuum IS NULL THEN 0 ELSE 1 END") == 1;
    }

    private long statistic(String table, String column) throws SQLException {
        try (Connection c = fresh.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + column + " FROM pg_stat_user_tables WHERE relname = '" + table + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    private long countRows(String queue) throws SQLException {
        try (Connection c = fresh.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM queue_counts WHERE queue = '" + queue + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private String showAutovacuum() throws SQLException {
        try (Connection c = fresh.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW autovacuum")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private double vacuums(String table) {
        return registry.get("spindle.maintenance.vacuums").tag("table", table).counter().count();
    }
}
