package io.spindle.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * The PostgreSQL server the tests use, found once per JVM: {@code SPINDLE_TEST_DB_URL} if set, else a
 * Testcontainers {@code postgres:16-alpine} when Docker answers, else the embedded PostgreSQL. Each test
 * class asks for a {@link #fresh()} database of its own, so tests never see each other's rows.
 */
public final class TestDatabase {
    private static final String URL_VARIABLE = "SPINDLE_TEST_DB_URL";
    private static volatile Server server;

    private TestDatabase() {
    }

    /** A server's admin URL (to a maintenance database) and its credentials. */
    private record Server(String adminUrl, String username, String password) {
    }

    /** A database created for one test class; closing drops it. */
    public record Fresh(String jdbcUrl, String username, String password, String name) implements AutoCloseable {
        public Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, username, password);
        }

        @Override
        public void close() {
            Server s = server();
            try (Connection c = DriverManager.getConnection(s.adminUrl(), s.username(), s.password());
                 Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot drop test database " + name, e);
            }
        }
    }

    public static Fresh fresh() {
        Server s = server();
        String name = "spindle_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection(s.adminUrl(), s.username(), s.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database on " + s.adminUrl(), e);
        }
        return new Fresh(withDatabase(s.adminUrl(), name), s.username(), s.password(), name);
    }

    private static Server server() {
        Server s = server;
        if (s == null) {
            synchronized (TestDatabase.class) {
                if (server == null) {
                    server = locate();
                }
                s = server;
            }
        }
        return s;
    }

    private static Server locate() {
        StringBuilder tried = new StringBuilder();
        String url = System.getenv(URL_VARIABLE);
        if (url != null && !url.isBlank()) {
            return new Server(url, parameter(url, "user", "postgres"), parameter(url, "password", ""));
        }
        tried.append(URL_VARIABLE).append(" is not set; ");
        try {
            if (org.testcontainers.DockerClientFactory.instance().isDockerAvailable()) {
                var container = new org.testcontainers.containers.PostgreSQLContainer<>("postgres:16-alpine");
                container.start();
                Runtime.getRuntime().addShutdownHook(new Thread(container::stop));
                return new Server(container.getJdbcUrl(), container.getUsername(), container.getPassword());
            }
            tried.append("Testcontainers found no Docker; ");
        } catch (RuntimeException | LinkageError e) {
            tried.append("Testcontainers failed (").append(e.getMessage()).append("); ");
        }
        try {
            Path dir = Files.createTempDirectory("spindle-test-pg");
            EmbeddedPostgres embedded = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(true).start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    embedded.close();
                } catch (Exception ignored) {
                    // the JVM is exiting
                }
            }));
            return new Server(embedded.getJdbcUrl("postgres", "postgres"), "postgres", "");
        } catch (Exception e) {
            tried.append("the embedded PostgreSQL failed (").append(e.getMessage()).append(")");
        }
        throw new IllegalStateException("No PostgreSQL for the tests: " + tried
                + ". Set SPINDLE_TEST_DB_URL (e.g. jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres), "
                + "or run Docker for Testcontainers, or allow the embedded PostgreSQL to start.");
    }

    private static String withDatabase(String adminUrl, String database) {
        int query = adminUrl.indexOf('?');
        String base = query < 0 ? adminUrl : adminUrl.substring(0, query);
        String params = query < 0 ? "" : adminUrl.substring(query);
        int slash = base.lastIndexOf('/');
        return base.substring(0, slash + 1) + database + params;
    }

    private static String parameter(String url, String name, String fallback) {
        int query = url.indexOf('?');
        if (query < 0) {
            return fallback;
        }
        for (String pair : url.substring(query + 1).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return pair.substring(eq + 1);
            }
        }
        return fallback;
    }
}
