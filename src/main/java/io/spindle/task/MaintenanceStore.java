package io.spindle.task;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import io.spindle.db.Database;

/**
 * The SQL home of table upkeep: whether autovacuum runs, the dead rows of Spindle's tables, folding the queue
 * counts of closed connections, and {@code VACUUM}. A pass holds a session advisory lock, so of several
 * instances one at a time does it; it runs on one pooled connection in autocommit mode, since {@code VACUUM}
 * cannot run inside a transaction.
 */
public final class MaintenanceStore {
    /** Spindle's tables, the only names {@code VACUUM} is ever given. */
    public static final List<String> TABLES = List.of("tasks", "queue_counts", "queues", "schedules", "bus_events", "bus_interest");

    /** The advisory lock of a maintenance pass: "SPINDLE" in ASCII. */
    private static final long LOCK = 0x5350494E444C45L;

    /** A vacuum of a big table may take minutes; the pool's socket timeout is for ordinary statements. */
    private static final Duration VACUUM_TIMEOUT = Duration.ofMinutes(10);

    private static final String TABLE_STATS = """
            SELECT n.name, s.n_live_tup, s.n_dead_tup
            FROM unnest(?::text[]) WITH ORDINALITY AS n(name, ord)
            JOIN pg_stat_user_tables s ON s.relid = to_regclass(n.name)
            ORDER BY n.ord
            """;

    private final Database db;

    private static final String KEYED_QUEUES = "SELECT name FROM queues WHERE key_concurrency IS NOT NULL";

    /**
     * Unfinished tasks of a keyed queue that have no key get the empty key (no key), as the PUT that made the queue
     * keyed gives them: an enqueue whose statement read the queue before that PUT committed stores none, and the
     * queue's claim, which walks its keys, would never find the task. Only over the keyed queues, read first
     * ({@link #KEYED_QUEUES}; none, no statement): joined with queues, or with their names as a subquery, the plan
     * scans every live task of every queue each pass (two seconds of a backend with half a million pending tasks).
     */
    private static final String KEY_STRAYS = """
            UPDATE tasks SET concurrency_key = ''
            WHERE queue = ANY(?::text[]) AND state IN ('pending', 'running') AND concurrency_key IS NULL
            """;

    public MaintenanceStore(Database db) {
        this.db = db;
    }

    /** Live and dead rows of one table, as PostgreSQL's statistics last saw them (they lag by a second or so). */
    public record TableStats(String table, long live, long dead) {
    }

    /** One table vacuumed, and how long it took. */
    public record Vacuumed(String table, Duration took) {
    }

    /** What a pass did: queue count rows folded, the tables' rows before, and the tables vacuumed. */
    public record Pass(int folded, int keyed, List<TableStats> tables, List<Vacuumed> vacuumed) {
    }

    /** Whether the server's autovacuum launcher runs ({@code SHOW autovacuum}). */
    public boolean autovacuumOn() {
        return db.first("SELECT current_setting('autovacuum') = 'on' AS running", row -> row.getBoolean("running")).orElseThrow();
    }

    /** The live and dead rows of Spindle's tables. */
    public List<TableStats> tableStats() {
        return db.run(MaintenanceStore::tableStats);
    }

    /**
     * One pass: folds the queue counts of closed connections, gives stray unkeyed tasks of keyed queues the empty
     * key, reads the tables' dead rows, and vacuums, one after
     * the other, those that {@code needsVacuum} picks. Empty when another session holds the pass's lock.
     */
    public Optional<Pass> pass(Predicate<TableStats> needsVacuum) {
        return db.run(c -> {
            if (!Database.list(c, "SELECT pg_try_advisory_lock(?) AS held", row -> row.getBoolean("held"), LOCK).getFirst()) {
                return Optional.empty();
            }
            try {
                int folded = Database.update(c, QueueCounts.FOLD);
                List<String> keyedQueues = Database.list(c, KEYED_QUEUES, row -> row.getString("name"));
                int keyed = keyedQueues.isEmpty() ? 0
                        : Database.update(c, KEY_STRAYS, c.createArrayOf("text", keyedQueues.toArray()));
                List<TableStats> tables = tableStats(c);
                List<Vacuumed> vacuumed = new ArrayList<>();
                for (TableStats table : tables) {
                    if (needsVacuum.test(table)) {
                        vacuumed.add(vacuum(c, table.table()));
                    }
                }
                return Optional.of(new Pass(folded, keyed, tables, vacuumed));
            } finally {
                Database.list(c, "SELECT pg_advisory_unlock(?)", row -> true, LOCK);
            }
        });
    }

    private static List<TableStats> tableStats(Connection c) throws SQLException {
        return Database.list(c, TABLE_STATS, row -> new TableStats(
                row.getString("name"), row.getLong("n_live_tup"), row.getLong("n_dead_tup")),
                c.createArrayOf("text", TABLES.toArray()));
    }

    /**
     * A plain VACUUM: it takes no lock that blocks reads or writes. SKIP_LOCKED passes over a table another
     * vacuum holds; TRUNCATE false keeps it from taking the exclusive lock that shrinking the file needs (which
     * would stall claims for a moment; a queue's table reuses the space anyway).
     */
    private static Vacuumed vacuum(Connection c, String table) throws SQLException {
        if (!TABLES.contains(table)) {
            throw new IllegalArgumentException("not a Spindle table: " + table);
        }
        long start = System.nanoTime();
        c.setNetworkTimeout(Runnable::run, (int) VACUUM_TIMEOUT.toMillis()); // the pool restores its own at return
        Database.update(c, "VACUUM (ANALYZE, SKIP_LOCKED, TRUNCATE false) " + table);
        return new Vacuumed(table, Duration.ofNanos(System.nanoTime() - start));
    }
}
