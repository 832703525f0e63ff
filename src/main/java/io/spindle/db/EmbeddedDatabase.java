package io.spindle.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

import io.spindle.config.InvalidSettingException;
import io.spindle.config.Settings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A PostgreSQL server run by Spindle itself when no {@code db.url} is configured, so that the service
 * starts on a machine with nothing but a JDK. Its data persists under {@code db.embedded.data-dir}.
 * Only the {@link io.spindle.Lifecycle} stops it, as its last step: zonky's own shutdown hook is off, and
 * {@code pg_ctl} starts the postmaster in a session of its own, so a Ctrl-C to Spindle's process group
 * does not reach it.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class.getName());
    /** What zonky calls the architectures whose binaries Spindle may carry. */
    private static final List<String> ARCHITECTURES = List.of("x86_64", "arm_64");

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * @throws InvalidSettingException naming {@code db.url} when this build carries no PostgreSQL binaries
     *                                 for this system (the container image never does)
     */
    public static EmbeddedDatabase start(Settings.Embedded settings) {
        String system = system();
        if (!binariesPresent(system)) {
            throw new InvalidSettingException("db.url", "not set, and this build carries no embedded PostgreSQL for "
                    + system + "; set db.url (DB_URL) to a PostgreSQL server");
        }
        try {
            Files.createDirectories(settings.dataDir());
            var builder = EmbeddedPostgres.builder()
                    .setDataDirectory(settings.dataDir())
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
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

    /**
     * Whether a binaries jar for this operating system is on the classpath, asked before zonky, which logs an
     * error and throws when there is none. Its resources are named {@code postgres-<system>-<arch>[-<distro>].txz}.
     */
    static boolean binariesPresent(String system) {
        ClassLoader loader = EmbeddedPostgres.class.getClassLoader();
        return ARCHITECTURES.stream().anyMatch(arch ->
                loader.getResource("postgres-" + system + "-" + arch + ".txz") != null
                        || loader.getResource("postgres-" + system + "-" + arch + "-alpine_linux.txz") != null);
    }

    private static String system() {
        String name = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        if (name.startsWith("mac")) {
            return "darwin";
        }
        return name.startsWith("windows") ? "windows" : name;
    }

    public String jdbcUrl() {
        return postgres.getJdbcUrl("postgres", "postgres");
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
