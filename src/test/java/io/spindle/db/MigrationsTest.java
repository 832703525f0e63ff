package io.spindle.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.sql.DataSource;

import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.Test;

/** The start-up's shortcut past Flyway is taken only on a schema at this build's newest version. */
class MigrationsTest {
    private static final Pattern VERSIONED = Pattern.compile("V(\\d+)__.*\\.sql");

    @Test
    void theNewestVersionIsTheNewestMigrationFile() throws Exception {
        int newest;
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
            newest = files.map(f -> VERSIONED.matcher(f.getFileName().toString()))
                    .filter(Matcher::matches).mapToInt(m -> Integer.parseInt(m.group(1))).max().orElseThrow();
        }
        assertThat(Migrations.NEWEST).isEqualTo(newest);
    }

    @Test
    void flywayIsSkippedOnlyWhenEveryMigrationIsAppliedAndNoneFailed() throws Exception {
        try (TestDatabase.Fresh db = TestDatabase.fresh();
             Database database = Database.open(TestServer.settings(db.jdbcUrl(), db).db(), db.jdbcUrl())) {
            DataSource pool = database.dataSource();
            assertThat(Migrations.upToDate(pool)).as("an empty database").isFalse();
            Migrations.migrate(pool);
            assertThat(Migrations.upToDate(pool)).as("migrated").isTrue();
            try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
                st.execute("SELECT waiters, waited_at FROM queue_flow LIMIT 1"); // the newest migration's columns

                st.execute("UPDATE flyway_schema_history SET success = false WHERE version = '" + Migrations.NEWEST + "'");
                assertThat(Migrations.upToDate(pool)).as("the newest migration failed").isFalse();
                st.execute("DELETE FROM flyway_schema_history WHERE version = '" + Migrations.NEWEST + "'");
                assertThat(Migrations.upToDate(pool)).as("one behind").isFalse();
            }
        }
    }
}
