package io.spindle.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.logging.Logger;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.spindle.config.Settings;
import io.spindle.error.SpindleException;

/**
 * The connection pool (HikariCP) and the one seam every store reaches PostgreSQL through: plain JDBC on a
 * pooled connection, with a failed statement turned into {@link SpindleException.Unavailable} (the database is
 * out of reach: 503) or an {@link IllegalStateException} (a bug) here, so no {@link SQLException} leaves a store.
 */
public final class Database implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Database.class.getName());
    private static final Duration RETRY_AFTER = Duration.ofSeconds(2);

    private final CompletableFuture<HikariDataSource> pool;

    private Database(CompletableFuture<HikariDataSource> pool) {
        this.pool = pool;
    }

    /**
     * Opens the pool; fails fast when the server cannot be reached at start-up. Pool gauges
     * ({@code hikaricp_connections_active}, {@code _idle}, {@code _pending}, {@code _max}, ...) go to {@code meters}.
     */
    public static Database open(Settings.Db settings, String jdbcUrl, MeterRegistry meters) {
        Database database = open(settings, jdbcUrl);
        database.bindMetrics(meters);
        return database;
    }

    /** Opens the pool without its gauges yet ({@link #bindMetrics}). */
    public static Database open(Settings.Db settings, String jdbcUrl) {
        return new Database(CompletableFuture.completedFuture(pool(settings, jdbcUrl)));
    }

    /**
     * Opens the pool and then runs {@code prepare} on it (the migrations) on a thread of its own, and returns at
     * once: start-up wires the parts that need no database meanwhile (a first connection and the schema check take
     * a tenth of a second of a cold JVM). A statement waits until both are done; {@link #awaitOpen} throws what
     * failed, and a pool whose {@code prepare} failed is closed.
     */
    public static Database openInBackground(Settings.Db settings, String jdbcUrl, Consumer<DataSource> prepare) {
        CompletableFuture<HikariDataSource> pool = new CompletableFuture<>();
        Thread.ofVirtual().name("database-open").start(() -> {
            try {
                HikariDataSource dataSource = pool(settings, jdbcUrl);
                try {
                    prepare.accept(dataSource);
                } catch (RuntimeException | Error e) {
                    dataSource.close();
                    throw e;
                }
                pool.complete(dataSource);
            } catch (RuntimeException | Error e) {
                pool.completeExceptionally(e);
            }
        });
        return new Database(pool);
    }

    /** Waits until the pool of {@link #openInBackground} is open and prepared; throws what failed there. */
    public void awaitOpen() {
        hikari();
    }

    private static HikariDataSource pool(Settings.Db settings, String jdbcUrl) {
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
        HikariDataSource dataSource = new HikariDataSource(config);
        LOG.info(() -> "connection pool open on " + redact(jdbcUrl) + " (max " + pool.maxSize() + ")");
        return dataSource;
    }

    /** The pool's gauges go to {@code meters} from now on; once only. */
    public void bindMetrics(MeterRegistry meters) {
        hikari().setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
    }

    /** The pool, once open (waiting for {@link #openInBackground}); throws what failed there. */
    public DataSource dataSource() {
        return hikari();
    }

    private HikariDataSource hikari() {
        try {
            return pool.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e.getCause() instanceof RuntimeException failed ? failed : e;
        }
    }

    /**
     * A pooled connection for plain JDBC; the caller closes it. Waits at most the acquire timeout.
     *
     * @throws SpindleException.Unavailable when the database cannot lend a connection in time
     */
    Connection connection() {
        try {
            return hikari().getConnection();
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }

    /** Statements that run on one pooled connection and give back a result. */
    @FunctionalInterface
    public interface Statements<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Statements that run together in one transaction on one pooled connection. */
    @FunctionalInterface
    public interface Work {
        void run(Connection connection) throws SQLException;
    }

    /** Reads one row of a result set. */
    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet row) throws SQLException;
    }

    /**
     * Runs {@code work} on one pooled connection in autocommit mode (each statement its own transaction).
     *
     * @throws SpindleException.Unavailable when the database is out of reach (see {@link #failure})
     */
    public <T> T run(Statements<T> work) {
        try (Connection c = connection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws.
     *
     * @throws SpindleException.Unavailable when the database is out of reach (see {@link #failure})
     */
    public void inTransaction(Work work) {
        transaction(c -> {
            work.run(c);
            return null;
        });
    }

    /** {@link #inTransaction} for statements that give back a result. */
    public <T> T transaction(Statements<T> work) {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
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

    /** The rows of one query, in order, each read by {@code mapper}. */
    public <T> List<T> list(String sql, RowMapper<T> mapper, Object... parameters) {
        return run(c -> list(c, sql, mapper, parameters));
    }

    /** The first row of a query that returns at most a few (e.g. by primary key), if any. */
    public <T> Optional<T> first(String sql, RowMapper<T> mapper, Object... parameters) {
        return list(sql, mapper, parameters).stream().findFirst();
    }

    /** Runs one data-changing statement; returns the number of rows it changed. */
    public int update(String sql, Object... parameters) {
        return run(c -> update(c, sql, parameters));
    }

    /** {@link #list(String, RowMapper, Object...)} on the caller's connection (e.g. inside a transaction). */
    public static <T> List<T> list(Connection c, String sql, RowMapper<T> mapper, Object... parameters)
            throws SQLException {
        try (PreparedStatement st = prepare(c, sql, parameters); ResultSet rs = st.executeQuery()) {
            List<T> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(mapper.map(rs));
            }
            return rows;
        }
    }

    /** {@link #update(String, Object...)} on the caller's connection (e.g. inside a transaction). */
    public static int update(Connection c, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement st = prepare(c, sql, parameters)) {
            return st.executeUpdate();
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... parameters) throws SQLException {
        PreparedStatement st = c.prepareStatement(sql);
        try {
            for (int i = 0; i < parameters.length; i++) {
                st.setObject(i + 1, parameters[i]);
            }
            return st;
        } catch (SQLException | RuntimeException e) {
            st.close();
            throw e;
        }
    }

    /**
     * What a failed statement becomes: a 503-mapped refusal when the database is out of reach, else an
     * unchecked wrapper that stays a bug to look at.
     */
    static RuntimeException failure(SQLException e) {
        return DatabaseFailures.isUnavailable(e) ? unavailable(e) : new IllegalStateException("SQL failed: " + e.getMessage(), e);
    }

    /** The refusal a request gets when the database is out of reach. */
    static SpindleException.Unavailable unavailable(Throwable cause) {
        return new SpindleException.Unavailable("The database is unavailable; try again shortly.", RETRY_AFTER, cause);
    }

    @Override
    public void close() {
        try {
            pool.join().close();
        } catch (CompletionException e) {
            // it never opened: nothing to close
        }
    }

    private static String redact(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
