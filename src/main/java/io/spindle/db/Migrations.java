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
        var result = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        LOG.info(() -> "schema at version " + result.targetSchemaVersion
                + " (" + result.migrationsExecuted + " migrations applied now)");
    }
}
