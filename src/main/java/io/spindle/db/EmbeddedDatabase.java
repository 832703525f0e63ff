package io.spindle.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.logging.Logger;

import io.spindle.config.Settings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A PostgreSQL server run by Spindle itself when no {@code db.url} is configured, so that the service
 * starts on a machine with nothing but a JDK. Its data persists under {@code db.embedded.data-dir}.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class.getName());

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    public static EmbeddedDatabase start(Settings.Embedded settings) {
        try {
            Files.createDirectories(settings.dataDir());
            var builder = EmbeddedPostgres.builder()
                    .setDataDirectory(settings.dataDir())
                    .setCleanDataDirectory(false)
                    .setPGStartupWait(Duration.ofSeconds(60));
            if (settings.port() != 0) {
                builder.setPort(settings.port());
            }
            EmbeddedPostgres postgres = builder.start();
            LOG.info(() -> "embedded PostgreSQL running on port " + postgres.getPort()
                    + " with data in " + settings.dataDir().toAbsolutePath());
            return new EmbeddedDatabase(postgres);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + settings.dataDir(), e);
        }
    }

    public String jdbcUrl() {
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
