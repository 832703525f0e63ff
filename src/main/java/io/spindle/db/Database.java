package io.spindle.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.logging.Logger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import io.helidon.dbclient.jdbc.JdbcConnectionPool;
import io.spindle.config.Settings;
import io.spindle.task.SpindleException;

/**
 * The connection pool (HikariCP) and the Helidon {@link DbClient} over it. Stores use the DbClient;
 * plain JDBC on the same pool serves only what DbClient cannot express (LISTEN, batched writes).
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class.getName());
    private static final Duration RETRY_AFTER = Duration.ofSeconds(2);

    private final HikariDataSource dataSource;
    private final DbClient dbClient;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
        JdbcConnectionPool pool = new JdbcConnectionPool() {
            @Override
            public Connection connection() {
                return Database.this.connection();
            }

            @Override
            public String dbType() {
                return "jdbc:postgresql";
            }
        };
        this.dbClient = JdbcClientBuilder.create().connectionPool(pool).build();
    }

    /**
     * Opens the pool; fails fast when the server cannot be reached at start-up. Pool gauges
     * ({@code hikaricp_connections_active}, {@code _idle}, {@code _pending}, {@code _max}, ...) go to {@code meters}.
     */
    public static Database open(Settings.Db settings, String jdbcUrl, MeterRegistry meters) {
        Settings.Pool pool = settings.pool();
        HikariConfig config = new HikariConfig();
        config.setPoolName("spindle");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(settings.username());
        config.setPassword(settings.password());
        config.setMaximumPoolSize(pool.maxSize());
        config.setMinimumIdle(pool.minIdle());
        config.setConnectionTimeout(pool.acquireTimeout().toMillis());
        config.setIdleTimeout(pool.idleTimeout().toMillis());
        config.setMaxLifetime(pool.maxLifetime().toMillis());
        config.setValidationTimeout(Math.min(1000, pool.acquireTimeout().toMillis() / 2));
        // pgjdbc reads only String values from these properties; others are silently ignored
        config.addDataSourceProperty("ApplicationName", "spindle");
        config.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, pool.acquireTimeout().toSeconds())));
        config.addDataSourceProperty("socketTimeout", Long.toString(pool.socketTimeout().toSeconds()));
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
        HikariDataSource dataSource = new HikariDataSource(config);
        LOG.info(() -> "connection pool open on " + redact(jdbcUrl) + " (max " + pool.maxSize() + ")");
        return new Database(dataSource);
    }

    public DbClient client() {
        return dbClient;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * A pooled connection for plain JDBC; the caller closes it. Waits at most the acquire timeout.
     *
     * @throws SpindleException.Unavailable when the database cannot lend a connection in time
     */
    public Connection connection() {
        try {
            return dataSource.getConnection();
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** Statements that run together in one transaction on one pooled connection. */
    @FunctionalInterface
    public interface Work {
        void run(Connection connection) throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
     *
     * @throws SpindleException.Unavailable when the database is out of reach (see {@link #failure})
     */
    public void inTransaction(Work work) {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                work.run(c);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /**
     * What a failed statement becomes: a 503-mapped refusal when the database is out of reach, else an
     * unchecked wrapper that stays a bug to look at.
     */
    public static RuntimeException failure(SQLException e) {
        return DatabaseFailures.isUnavailable(e) ? unavailable(e) : new IllegalStateException("SQL failed: " + e.getMessage(), e);
    }

    /** The refusal a request gets when the database is out of reach. */
    public static SpindleException.Unavailable unavailable(Throwable cause) {
        return new SpindleException.Unavailable("The database is unavailable; try again shortly.", RETRY_AFTER, cause);
    }

    @Override
    public void close() {
        dataSource.close();
    }

    private static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
