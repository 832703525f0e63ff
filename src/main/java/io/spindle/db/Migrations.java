package io.spindle.db;

import java.util.logging.Logger;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;

/**
 * Brings the schema to the newest version at start-up. Flyway takes an advisory lock, so instances
 * starting together on one database migrate once.
 */
public final class Migrations {
    private static final Logger LOG = Logger.getLogger(Migrations.class.getName());

    private Migrations() {
    }

    public static void migrate(DataSource dataSource) {
        Flyway flyway = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load();
        int applied = flyway.migrate().migrationsExecuted;
        var current = flyway.info().current();
        LOG.info(() -> "schema at version " + (current == null ? "none" : current.getVersion())
                + " (" + applied + " migrations applied now)");
    }
}
