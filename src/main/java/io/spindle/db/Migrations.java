package io.spindle.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;

/**
 * Brings the schema to the newest version at start-up. Flyway takes an advisory lock, so instances
 * starting together on one database migrate once. A restart on a schema that is already at this build's newest
 * version (every migration applied and successful) skips Flyway: one query instead of its start (about a quarter
 * of a second of class loading and classpath scanning), which is most restarts.
 */
public final class Migrations {
    private static final Logger LOG = Logger.getLogger(Migrations.class.getName());

    /** The newest migration in {@code db/migration} ({@code MigrationsTest} holds it to the files). */
    static final int NEWEST = 9;

    private static final String APPLIED = """
            SELECT coalesce(bool_and(success), false) AS all_succeeded,
                   max(CASE WHEN version ~ '^[0-9]+$' THEN version::int END) AS newest
            FROM flyway_schema_history WHERE version IS NOT NULL
            """;

    private Migrations() {
    }

    public static void migrate(DataSource dataSource) {
        if (upToDate(dataSource)) {
            LOG.info(() -> "schema at version " + NEWEST + " (up to date)");
            return;
        }
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load();
        int applied = flyway.migrate().migrationsExecuted;
        var current = flyway.info().current();
        LOG.info(() -> "schema at version " + (current == null ? "none" : current.getVersion())
                + " (" + applied + " migrations applied now)");
    }

    /** Whether every migration up to {@link #NEWEST} is applied and none failed; false on a database without the history. */
    static boolean upToDate(DataSource dataSource) {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            if (!exists(st)) {
                return false;
            }
            try (ResultSet rs = st.executeQuery(APPLIED)) {
                return rs.next() && rs.getBoolean("all_succeeded") && rs.getInt("newest") == NEWEST;
            }
        } catch (SQLException e) {
            return false; // Flyway will say what is wrong
        }
    }

    /** Asked first, so that a first start leaves no "relation does not exist" error in the server's log. */
    private static boolean exists(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT to_regclass('flyway_schema_history') IS NOT NULL")) {
            return rs.next() && rs.getBoolean(1);
        }
    }
}
