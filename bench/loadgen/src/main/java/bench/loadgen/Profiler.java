package bench.loadgen;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Where the CPU goes during a phase, the way {@code top -H} and {@code pg_stat_activity} would show it:
 * <ul>
 *     <li>machine: /proc/stat deltas (busy, user, system, iowait, steal) over all cores;</li>
 *     <li>Spindle: process CPU and per-thread CPU from /proc/PID/task/TID/stat, grouped by thread name with
 *         digits dropped (virtual threads run on the {@code ForkJoinPool-1-worker-N} carriers);</li>
 *     <li>PostgreSQL: every {@code postgres} process, grouped by kind (backends, walwriter, ...), sampled
 *         every 250 ms so short-lived backends count too; pgbench and this load generator likewise;</li>
 *     <li>PostgreSQL waits: {@code pg_stat_activity} sampled every 200 ms by one {@code psql \watch}: each
 *         client backend of the database that is active (its wait event, or CPU when it has none) or idle in
 *         a transaction (waiting for its client).</li>
 * </ul>
 * CPU figures are percent of one core (200 % = both cores).
 */
final class Profiler implements AutoCloseable {
    private final int spindlePid;
    private final String db;
    private final double clkTck;
    private final Thread sampler;
    private final Process psql;
    private volatile boolean closed;

    // process CPU ticks by pid, for postgres/pgbench processes: last seen value
    private final Map<Integer, Long> otherTicks = new ConcurrentHashMap<>();
    private final Map<Integer, String> otherKind = new ConcurrentHashMap<>();
    // pg_stat_activity samples of the current phase
    private final Object waitLock = new Object();
    private int waitSamples;
    private final Map<String, Integer> waitCounts = new HashMap<>();
    private final Map<String, Integer> statementCounts = new HashMap<>();
    private final String psqlBinary;

    private Phase current;

    private record Phase(String name, long startMillis, long startNanos, long[] cpu, long spindleTicks, Map<Integer, Long> threads,
                         Map<Integer, Long> others, long selfTicks, long[] pgCounters) {
    }

    /**
     * The database's committed transactions, the cluster's WAL syncs and bytes (pg_stat_database,
     * pg_stat_wal) and its WAL insert position in bytes, by a one-off psql; null when unavailable.
     */
    private long[] pgCounters() {
        if (db == null) {
            return null;
        }
        try {
            Process p = new ProcessBuilder(psqlBinary, "-X", "-q", "-A", "-t", "-F", " ", "-d", db, "-c",
                    "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),"
                    + " wal_sync, wal_bytes::bigint, pg_current_wal_insert_lsn() - '0/0'::pg_lsn FROM pg_stat_wal").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            String[] f = out.split("\\s+");
            if (f.length < 4) {
                return null;
            }
            return new long[]{Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                              new java.math.BigDecimal(f[3]).longValueExact()};
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    Profiler(int spindlePid, String db, int clkTck, String psqlBinary) {
        this.psqlBinary = psqlBinary == null ? "psql" : psqlBinary;
        this.spindlePid = spindlePid;
        this.db = db;
        this.clkTck = clkTck;
        this.sampler = Thread.ofPlatform().daemon().name("profiler").start(this::sampleLoop);
        this.psql = db == null ? null : startPsql(db);
    }

    private Process startPsql(String database) {
        try {
            Process p = new ProcessBuilder(psqlBinary, "-X", "-q", "-A", "-t", "-d", database)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            // one line per sample: S| then, per busy backend, its wait (or CPU, or IdleInTransaction), chr(30) and
            // the start of its statement, the backends separated by chr(31)
            String query = "SELECT 'S|' || coalesce(string_agg(CASE WHEN state = 'active' THEN coalesce(wait_event_type"
                           + " || ':' || wait_event, 'CPU') ELSE 'IdleInTransaction' END || chr(30)"
                           + " || left(regexp_replace(query, '\\s+', ' ', 'g'), 72), chr(31)), '') FROM pg_stat_activity"
                           + " WHERE backend_type = 'client backend' AND datname = current_database()"
                           + " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') \\watch 0.2\n";
            OutputStream stdin = p.getOutputStream();
            stdin.write(query.getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            Thread.ofPlatform().daemon().name("psql-reader").start(() -> readWaits(p));
            return p;
        } catch (IOException e) {
            System.err.println("profiler: cannot start psql (" + e.getMessage() + "); no PostgreSQL wait sampling");
            return null;
        }
    }

    private void readWaits(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.startsWith("S|")) {
                    continue;
                }
                synchronized (waitLock) {
                    waitSamples++;
                    String rest = line.substring(2);
                    if (!rest.isEmpty()) {
                        for (String item : rest.split("\u001f")) {
                            int sep = item.indexOf('\u001e');
                            String wait = sep < 0 ? item : item.substring(0, sep);
                            String statement = sep < 0 ? "?" : item.substring(sep + 1).strip();
                            waitCounts.merge(wait, 1, Integer::sum);
                            statementCounts.merge((wait.equals("IdleInTransaction") ? "idle in transaction after: " : "")
                                                  + statement, 1, Integer::sum);
                        }
                    }
                }
            }
        } catch (IOException e) {
            // psql ended
        }
    }

    private void sampleLoop() {
        while (!closed) {
            scanOthers();
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Updates the last-seen CPU ticks of postgres and pgbench processes. */
    private synchronized void scanOthers() {
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> isNumber(p.getFileName().toString()))) {
            for (Path proc : procs) {
                int pid = Integer.parseInt(proc.getFileName().toString());
                String stat = read(proc.resolve("stat"));
                if (stat == null) {
                    continue;
                }
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                if (open < 0 || close < 0) {
                    continue;
                }
                String comm = stat.substring(open + 1, close);
                if (!comm.equals("postgres") && !comm.equals("pgbench")) {
                    continue;
                }
                otherTicks.put(pid, ticks(stat, close));
                otherKind.computeIfAbsent(pid, k -> kind(comm, proc));
            }
        } catch (IOException e) {
            // /proc unreadable: no figures
        }
    }

    private String kind(String comm, Path proc) {
        if (comm.equals("pgbench")) {
            return "pgbench";
        }
        String cmdline = read(proc.resolve("cmdline"));
        if (cmdline == null) {
            return "postgres other";
        }
        cmdline = cmdline.replace('\0', ' ').trim();
        String[] parts = cmdline.split(": ", 3);
        if (parts.length < 3) {
            return "postmaster";
        }
        String what = parts[2];
        for (String bg : List.of("walwriter", "checkpointer", "background writer", "autovacuum", "logical replication",
                                 "stats collector", "archiver", "walsender")) {
            if (what.startsWith(bg)) {
                return bg;
            }
        }
        // "postgres: USER DATABASE HOST(PORT) STATE": the benchmark's own backends apart from other databases'
        String[] words = what.split(" ");
        return db != null && words.length > 1 && words[1].equals(db) ? "backends" : "backends of other databases";
    }

    private static boolean isNumber(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** utime + stime from a /proc stat line; {@code close} is the index of the ')' ending the comm. */
    private static long ticks(String stat, int close) {
        String[] f = stat.substring(close + 2).split(" ");
        // f[0] is field 3 (state); utime is field 14, stime field 15
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long procTicks(Path stat) {
        String s = read(stat);
        if (s == null) {
            return 0;
        }
        return ticks(s, s.lastIndexOf(')'));
    }

    private static long[] cpuStat() {
        String s = read(Path.of("/proc/stat"));
        if (s == null) {
            return new long[8];
        }
        String[] f = s.substring(0, s.indexOf('\n')).trim().split("\\s+");
        long[] v = new long[8];
        for (int i = 0; i < 8 && i + 1 < f.length; i++) {
            v[i] = Long.parseLong(f[i + 1]); // user nice system idle iowait irq softirq steal
        }
        return v;
    }

    private Map<Integer, Long> spindleThreads(Map<Integer, String> names) {
        Map<Integer, Long> ticks = new HashMap<>();
        if (spindlePid <= 0) {
            return ticks;
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Integer.toString(spindlePid), "task"))) {
            for (Path task : tasks) {
                String stat = read(task.resolve("stat"));
                if (stat == null) {
                    continue;
                }
                int tid = Integer.parseInt(task.getFileName().toString());
                int close = stat.lastIndexOf(')');
                ticks.put(tid, ticks(stat, close));
                if (names != null) {
                    names.put(tid, stat.substring(stat.indexOf('(') + 1, close));
                }
            }
        } catch (IOException e) {
            // Spindle gone
        }
        return ticks;
    }

    /** Starts measuring a phase. */
    synchronized void begin(String name) {
        scanOthers();
        synchronized (waitLock) {
            waitSamples = 0;
            waitCounts.clear();
            statementCounts.clear();
        }
        current = new Phase(name, System.currentTimeMillis(), System.nanoTime(), cpuStat(),
                            spindlePid > 0 ? procTicks(Path.of("/proc", Integer.toString(spindlePid), "stat")) : 0,
                            spindleThreads(null), new HashMap<>(otherTicks), procTicks(Path.of("/proc/self/stat")),
                            pgCounters());
    }

    /** The wall-clock window (epoch ms, "start-end") of the phase ended last. */
    String lastWindow = "";
    /** CPU (percent of one core) of processes outside the benchmark in the phase ended last. */
    double lastOtherCpu;

    /**
     * The raw figures of the phase ended last, as {@code cost.<phase>.<what>} keys (CPU in clock ticks): what
     * {@code loadgen cost} turns into a cost per task.
     */
    Map<String, String> lastRaw = new java.util.LinkedHashMap<>();

    /** Ends the phase begun last; returns a one-line summary. */
    synchronized String end() {
        Phase p = current;
        if (p == null) {
            return "";
        }
        current = null;
        lastWindow = p.startMillis() + "-" + System.currentTimeMillis();
        long[] counters1 = p.pgCounters() == null ? null : pgCounters();
        scanOthers();
        double seconds = (System.nanoTime() - p.startNanos()) / 1e9;
        double perTick = 100.0 / clkTck / seconds; // ticks -> percent of one core
        Map<String, String> raw = new java.util.LinkedHashMap<>();
        String rawKey = "cost." + p.name() + ".";
        lastRaw = raw;
        raw.put(rawKey + "window", lastWindow);
        raw.put(rawKey + "seconds", String.format("%.3f", seconds));
        raw.put(rawKey + "clk_tck", String.format("%.0f", clkTck));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%.1f s", seconds));

        long[] cpu0 = p.cpu();
        long[] cpu1 = cpuStat();
        long[] d = new long[8];
        long total = 0;
        for (int i = 0; i < 8; i++) {
            d[i] = cpu1[i] - cpu0[i];
            total += d[i];
        }
        long busyTicks = total - d[3] - d[4];
        if (total > 0) {
            int cores = Runtime.getRuntime().availableProcessors();
            double scale = 100.0 * cores / total; // percent of one core, summed over cores
            sb.append(String.format("; machine busy %.0f%% of %d00%% (user %.0f, sys %.0f, iowait %.0f, steal %.0f)",
                                    busyTicks * scale, cores, (d[0] + d[1]) * scale, (d[2] + d[5] + d[6]) * scale,
                                    d[4] * scale, d[7] * scale));
        }
        long known = 0;
        if (spindlePid > 0) {
            long spindle = procTicks(Path.of("/proc", Integer.toString(spindlePid), "stat")) - p.spindleTicks();
            known += spindle;
            Map<Integer, String> names = new HashMap<>();
            Map<Integer, Long> t1 = spindleThreads(names);
            Map<String, Long> byGroup = new HashMap<>();
            for (Map.Entry<Integer, Long> e : t1.entrySet()) {
                long delta = e.getValue() - p.threads().getOrDefault(e.getKey(), 0L);
                if (delta > 0) {
                    byGroup.merge(group(names.get(e.getKey())), delta, Long::sum);
                }
            }
            sb.append(String.format("; Spindle %.0f%%", spindle * perTick)).append(top(byGroup, perTick, 5));
            raw.put(rawKey + "spindle_ticks", Long.toString(spindle));
            byGroup.forEach((g, t) -> raw.put(rawKey + "thread." + g.replace(' ', '_'), Long.toString(t)));
        }
        Map<String, Long> others = new HashMap<>();
        for (Map.Entry<Integer, Long> e : otherTicks.entrySet()) {
            long delta = e.getValue() - p.others().getOrDefault(e.getKey(), 0L);
            if (delta > 0) {
                others.merge(otherKind.getOrDefault(e.getKey(), "postgres other"), delta, Long::sum);
            }
        }
        long pgbench = others.getOrDefault("pgbench", 0L);
        others.remove("pgbench");
        others.forEach((k, t) -> raw.put(rawKey + "pg." + k.replace(' ', '_'), Long.toString(t)));
        long otherDatabases = others.getOrDefault("backends of other databases", 0L);
        others.remove("backends of other databases");
        long pg = others.values().stream().mapToLong(Long::longValue).sum();
        known += pg + pgbench + otherDatabases;
        sb.append(String.format("; PostgreSQL %.0f%%", pg * perTick)).append(top(others, perTick, 4));
        if (otherDatabases > 0) {
            sb.append(String.format("; PostgreSQL backends of other databases %.0f%%", otherDatabases * perTick));
        }
        if (pgbench > 0) {
            sb.append(String.format("; pgbench %.0f%%", pgbench * perTick));
        }
        long self = procTicks(Path.of("/proc/self/stat")) - p.selfTicks();
        known += self;
        raw.put(rawKey + "loadgen_ticks", Long.toString(self));
        raw.put(rawKey + "machine_busy_ticks", Long.toString(busyTicks));
        raw.put(rawKey + "machine_total_ticks", Long.toString(total));
        sb.append(String.format("; loadgen+sink %.0f%%", self * perTick));
        lastOtherCpu = 0;
        if (total > 0) {
            // processes not named above (other work on the machine, psql, the kernel's own threads)
            lastOtherCpu = Math.max(0, busyTicks - known) * perTick;
            sb.append(String.format("; everything else %.0f%%", lastOtherCpu));
        }
        if (counters1 != null) {
            long[] c0 = p.pgCounters();
            raw.put(rawKey + "commits", Long.toString(counters1[0] - c0[0]));
            raw.put(rawKey + "wal_syncs", Long.toString(counters1[1] - c0[1]));
            raw.put(rawKey + "wal_lsn_start", lsn(c0[3]));
            raw.put(rawKey + "wal_lsn_end", lsn(counters1[3]));
            raw.put(rawKey + "wal_bytes_cluster", Long.toString(counters1[3] - c0[3]));
            sb.append(String.format("; PG %.0f commits/s in the database, %.0f WAL syncs/s, %.1f MB/s WAL",
                                    (counters1[0] - c0[0]) / seconds, (counters1[1] - c0[1]) / seconds,
                                    (counters1[2] - c0[2]) / seconds / 1e6));
        }
        synchronized (waitLock) {
            if (waitSamples > 0) {
                int items = waitCounts.values().stream().mapToInt(Integer::intValue).sum();
                sb.append(String.format("; PG backends busy (avg of %d samples) %.1f", waitSamples, (double) items / waitSamples));
                String waits = waitCounts.entrySet().stream()
                        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                        .limit(6)
                        .map(e -> String.format("%s %.1f", e.getKey(), (double) e.getValue() / waitSamples))
                        .collect(Collectors.joining(", "));
                if (!waits.isEmpty()) {
                    sb.append(": ").append(waits);
                }
                raw.put(rawKey + "wait_samples", Integer.toString(waitSamples));
                waitCounts.forEach((w, c) -> raw.put(rawKey + "wait." + w.replace(' ', '_'), Integer.toString(c)));
                int[] rank = {0};
                statementCounts.entrySet().stream()
                        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                        .limit(8)
                        .forEach(e -> raw.put(rawKey + "statement." + rank[0]++, e.getValue() + "|" + e.getKey()));
                final int n = waitSamples;
                String statements = statementCounts.entrySet().stream()
                        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                        .limit(3)
                        .map(e -> String.format("%.1f [%s]", (double) e.getValue() / n, e.getKey()))
                        .collect(Collectors.joining(", "));
                if (!statements.isEmpty()) {
                    sb.append("; busiest statements (avg backends): ").append(statements);
                }
            }
        }
        return sb.toString();
    }

    /** A WAL position (bytes from 0/0) the way PostgreSQL writes it. */
    private static String lsn(long bytes) {
        return Long.toHexString(bytes >>> 32).toUpperCase() + "/" + Long.toHexString(bytes & 0xffffffffL).toUpperCase();
    }

    /** A thread's group: its name with digits and trailing separators dropped. */
    private static String group(String name) {
        if (name == null) {
            return "?";
        }
        String g = name.replaceAll("[-#_ .0-9]+$", "");
        return g.isEmpty() ? name : g;
    }

    private static String top(Map<String, Long> groups, double perTick, int n) {
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(groups.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Long> e : sorted) {
            double pct = e.getValue() * perTick;
            if (parts.size() == n || pct < 1) {
                break;
            }
            parts.add(String.format("%s %.0f", e.getKey(), pct));
        }
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }

    @Override
    public void close() {
        closed = true;
        sampler.interrupt();
        if (psql != null) {
            psql.destroy();
        }
    }
}
