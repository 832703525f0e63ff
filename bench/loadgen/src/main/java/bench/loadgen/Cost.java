package bench.loadgen;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * What one measured phase cost per task (bench/profile.sh drives it): Spindle's CPU by thread kind (from /proc,
 * the {@code cost.<phase>.*} keys the {@link Profiler} wrote) and by step (the share of the flight recording's
 * CPU samples whose stack is in that step), its round trips to PostgreSQL (JFR socket writes, each a statement
 * sent) and how long each kind waited for its answer (socket reads), PostgreSQL's CPU and waits, and the WAL the
 * phase wrote, read back with {@code pg_waldump} and split by relation and by transaction kind.
 * <pre>
 *   cost --kv X.kv --phase drain_topic [--part all|main|wal] [--jfr X.jfr]
 *        [--waldump BIN --pgwal DIR --db-oid OID --relmap FILE]
 * </pre>
 * Prints markdown; appends {@code percost.<phase>.*} figures per task to the .kv file.
 */
final class Cost {
    private final Map<String, String> kv;
    private final String phase;
    private final String prefix;
    private final long tasks;
    private final double clk;
    private final Map<String, String> out = new LinkedHashMap<>();

    private Cost(Map<String, String> kv, String phase) {
        this.kv = kv;
        this.phase = phase;
        this.prefix = "cost." + phase + ".";
        this.tasks = Long.parseLong(require("tasks"));
        this.clk = Double.parseDouble(require("clk_tck"));
    }

    private String require(String key) {
        String v = kv.get(prefix + key);
        if (v == null) {
            throw new IllegalArgumentException("no " + prefix + key + " in the .kv file (did the phase run?)");
        }
        return v;
    }

    private long ticks(String key) {
        return Long.parseLong(kv.getOrDefault(prefix + key, "0"));
    }

    /** Clock ticks to µs of CPU per task. */
    private double perTask(double ticks) {
        return ticks / clk * 1e6 / tasks;
    }

    static void print(Map<String, String> opts) throws IOException {
        Path kvFile = Path.of(Main.require(opts, "kv"));
        Map<String, String> kv = new LinkedHashMap<>();
        for (String line : Files.readAllLines(kvFile)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                kv.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        Cost cost = new Cost(kv, Main.require(opts, "phase"));
        StringBuilder sb = new StringBuilder();
        String part = opts.getOrDefault("part", "all"); // wal: right after the phase, while its WAL is at hand
        if (!part.equals("wal")) {
            cost.header(sb);
            Jfr jfr = opts.containsKey("jfr") ? cost.readJfr(Path.of(opts.get("jfr"))) : null;
            cost.cpu(sb, jfr);
            if (jfr != null) {
                cost.steps(sb, jfr);
                cost.roundTrips(sb, jfr);
            }
            cost.postgres(sb);
        }
        if (!part.equals("main") && opts.containsKey("waldump")) {
            cost.wal(sb, opts);
        }
        System.out.print(sb);
        Map<String, String> figures = new LinkedHashMap<>();
        cost.out.forEach((k, v) -> figures.put("percost." + cost.phase + "." + k, v));
        Main.append(kvFile, figures);
    }

    private void header(StringBuilder sb) {
        double seconds = Double.parseDouble(require("seconds"));
        sb.append(String.format("## %s: %,d tasks in %.2f s (%,.0f tasks/s)%n%n", phase, tasks, seconds, tasks / seconds));
        out.put("tasks", Long.toString(tasks));
        out.put("tasks_per_s", String.format("%.0f", tasks / seconds));
        double machine = ticks("machine_busy_ticks") / (double) Math.max(1, ticks("machine_total_ticks"));
        sb.append(String.format("machine busy %.0f %% of its cores; other databases' backends took %.0f µs a task "
                                + "(noise from other work)%n%n", 100 * machine, perTask(ticks("pg.backends_of_other_databases"))));
    }

    // ------------------------------------------------------------------------------------------- CPU by thread

    /** The kind of a Spindle thread (as /proc names it, digits dropped). */
    private static String threadKind(String group) {
        if (group.contains("CompilerThre")) { // /proc cuts names at 15 characters
            return "JIT compiler";
        }
        if (group.startsWith("GC ") || group.startsWith("G1 ")) {
            return "GC";
        }
        if (group.startsWith("ForkJoinPool")) {
            return "virtual-thread carriers (all Spindle code)";
        }
        if (group.startsWith("JFR") || group.startsWith("JFR_")) {
            return "JFR (the profiler itself)";
        }
        if (group.startsWith("VM ") || group.equals("java")) {
            return "JVM (VM thread, periodic tasks)";
        }
        return "other platform threads";
    }

    private void cpu(StringBuilder sb, Jfr jfr) {
        long spindle = ticks("spindle_ticks");
        Map<String, Long> kinds = new TreeMap<>();
        kv.forEach((k, v) -> {
            if (k.startsWith(prefix + "thread.")) {
                String group = k.substring((prefix + "thread.").length()).replace('_', ' ');
                kinds.merge(threadKind(group), Long.parseLong(v), Long::sum);
            }
        });
        sb.append("### Spindle CPU by thread (/proc, µs per task)\n\n| threads | µs/task | share |\n|---|---|---|\n");
        sb.append(String.format("| **Spindle, all** | **%.1f** | 100 %% |%n", perTask(spindle)));
        kinds.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).forEach(e ->
                sb.append(String.format("| %s | %.1f | %.0f %% |%n", e.getKey(), perTask(e.getValue()),
                                        100.0 * e.getValue() / Math.max(1, spindle))));
        out.put("spindle_cpu_us", String.format("%.1f", perTask(spindle)));
        kinds.forEach((k, v) -> out.put("spindle_cpu_us." + k.split(" ")[0].toLowerCase(), String.format("%.1f", perTask(v))));
        if (jfr != null && jfr.samples > 0) {
            // the carriers' CPU, and that of Spindle's other Java threads, apportioned by the JFR samples
            long carriers = kinds.getOrDefault("virtual-thread carriers (all Spindle code)", 0L)
                            + kinds.getOrDefault("other platform threads", 0L);
            sb.append(String.format("%nJava code (carriers and other Java threads: %.1f µs/task), by the thread the %,d %s samples"
                                    + " ran on:%n%n| thread | µs/task | share of samples |%n|---|---|---|%n",
                                    perTask(carriers), jfr.events, jfr.sampler));
            jfr.byThread.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).forEach(e -> {
                double share = (double) e.getValue() / jfr.samples;
                sb.append(String.format("| %s | %.1f | %.0f %% |%n", e.getKey(), perTask(carriers * share), 100 * share));
                out.put("thread_us." + e.getKey().split(" ")[0], String.format("%.1f", perTask(carriers * share)));
            });
            jfr.javaTicks = carriers;
        }
        sb.append('\n');
    }

    // ------------------------------------------------------------------------------------------- JFR

    /** What the flight recording says about the phase's window. */
    private static final class Jfr {
        String sampler = "jdk.ExecutionSample";
        int samples; // weighted: 0.1 ms of CPU a unit for CPU-time samples, 1 a sample otherwise
        int events;
        long javaTicks;
        final Map<String, Integer> byThread = new HashMap<>();
        final Map<String, Integer> byStep = new HashMap<>();
        final Map<String, Map<String, Integer>> topFrames = new HashMap<>();
        final Map<String, long[]> writes = new TreeMap<>(); // step -> count, bytes
        final Map<String, long[]> reads = new TreeMap<>();  // step -> count, total ns
    }

    /** A virtual or platform Java thread's part in Spindle, by its name. */
    private static String threadRole(RecordedThread t) {
        String name = t == null ? "?" : String.valueOf(t.getJavaName());
        if (name.equals("dispatcher")) {
            return "dispatcher";
        }
        if (name.startsWith("task-")) {
            return "workers (task-<id>)";
        }
        if (name.equals("completion-writer")) {
            return "completion writer";
        }
        if (name.equals("notifier")) {
            return "notifier";
        }
        if (name.startsWith("enqueue-writer")) {
            return "enqueue writers";
        }
        if (name.contains("Poller")) {
            return "JDK I/O pollers";
        }
        if (name.startsWith("ForkJoinPool")) {
            return "carrier scheduling (no virtual thread mounted)";
        }
        if (name.isEmpty() || name.contains("WebServer") || name.contains("helidon") || name.startsWith("[")) {
            return "HTTP server (request threads)";
        }
        return "other: " + name.replaceAll("[-#_ .0-9]+$", "");
    }

    /** The first rule, from the innermost frame out, that a frame matches: the step a stack belongs to. */
    private static final String[][] STEPS = {
            {"io.spindle.dispatch.TaskMetrics.", "metrics (TaskMetrics)"},
            {"io.spindle.bus.BusMetrics.", "metrics (bus)"},
            {"io.spindle.task.TaskRows.", "row mapping (RETURNING → Task)"},
            {"io.spindle.task.TaskEvents.", "events (task.* on tasks.{queue})"},
            {"io.spindle.bus.TopicBus.publishIfWatched", "events (task.* on tasks.{queue})"},
            {"io.spindle.task.TaskWaiters.", "long-poll wake-ups"},
            {"io.spindle.db.Notifier.", "NOTIFY (Notifier)"},
            {"io.spindle.db.Notifications.", "NOTIFY (Notifier)"},
            {"io.spindle.handler.", "handler"},
            {"io.spindle.task.DispatchStore.claim", "claim statement (JDBC)"},
            {"io.spindle.task.DispatchStore.complete", "completion statement (JDBC)"},
            {"io.spindle.task.DispatchStore.endAttempts", "completion statement (JDBC)"},
            {"io.spindle.task.DispatchStore.", "other dispatch SQL (reaper, sweeper)"},
            {"io.spindle.dispatch.TaskTransitions.", "transitions (other)"},
            {"io.spindle.dispatch.WorkerExecutor.start", "hand-off: dispatcher starts the task thread"},
            {"io.spindle.dispatch.CompletionWriter.submit", "hand-off: worker → completion writer"},
            {"io.spindle.dispatch.WorkerExecutor.", "worker bookkeeping (permits, maps)"},
            {"io.spindle.dispatch.CompletionWriter.", "completion writer loop"},
            {"io.spindle.dispatch.EnqueueCommitter.", "enqueue commit"},
            {"io.spindle.task.TaskStore.", "task store (enqueue insert, stats polls)"},
            {"io.spindle.task.QueueStore.", "queue store (stats polls, catalog)"},
            {"io.spindle.dispatch.Dispatcher.", "dispatcher loop"},
            {"io.spindle.dispatch.", "dispatch (other)"},
            {"io.spindle.http.", "HTTP routes (JSON, filters)"},
            {"io.spindle.db.Database.", "db seam (outside a store frame)"},
            {"io.spindle.", "Spindle (other)"},
            {"io.helidon.webclient.", "HTTP client (Helidon WebClient)"},
            {"io.helidon.", "HTTP server (Helidon)"},
            {"io.micrometer.", "metrics (Micrometer, outside a Spindle frame)"},
            {"org.postgresql.", "JDBC driver (outside a Spindle frame)"},
            {"com.zaxxer.hikari.", "connection pool"},
            {"java.lang.VirtualThread", "virtual-thread start/park/unpark"},
            {"java.util.concurrent.ForkJoin", "virtual-thread scheduler"},
    };

    /**
     * Spindle's own specific rules first (so the driver's, Micrometer's or the JDK's code counts for the Spindle step
     * that called it, and the db seam's frames for the store method above them), then any other Spindle frame, then
     * the libraries' rules for stacks with no Spindle frame. Lambdas count as the method that holds them.
     */
    private static String step(RecordedStackTrace stack) {
        if (stack == null) {
            return "(no stack)";
        }
        List<String> methods = new ArrayList<>();
        for (RecordedFrame f : stack.getFrames()) {
            methods.add(f.getMethod().getType().getName() + "."
                        + f.getMethod().getName().replaceFirst("^lambda\\$", "").replaceFirst("\\$\\d+$", ""));
        }
        for (int pass = 0; pass < 3; pass++) {
            for (String m : methods) {
                for (String[] rule : STEPS) {
                    boolean own = rule[0].startsWith("io.spindle.");
                    boolean catchAll = rule[0].equals("io.spindle.") || rule[0].equals("io.spindle.db.Database.");
                    boolean inPass = pass == 0 ? own && !catchAll : pass == 1 ? catchAll : !own;
                    if (inPass && m.startsWith(rule[0])) {
                        return rule[1];
                    }
                }
            }
        }
        return "JDK / other";
    }

    private static boolean has(RecordedStackTrace stack, String prefix) {
        if (stack == null) {
            return false;
        }
        for (RecordedFrame f : stack.getFrames()) {
            if (f.getMethod().getType().getName().startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static boolean stackHasMethod(RecordedStackTrace stack, String type, String method) {
        for (RecordedFrame f : stack.getFrames()) {
            if (f.getMethod().getType().getName().equals(type) && f.getMethod().getName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    private Jfr readJfr(Path file) throws IOException {
        String[] w = require("window").split("-");
        long from = Long.parseLong(w[0]);
        long to = Long.parseLong(w[1]);
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Jfr jfr = new Jfr();
        boolean cpuTime = events.stream().anyMatch(e -> e.getEventType().getName().equals("jdk.CPUTimeSample"));
        String sampleType = cpuTime ? "jdk.CPUTimeSample" : "jdk.ExecutionSample";
        jfr.sampler = sampleType;
        for (RecordedEvent e : events) {
            long t = e.getStartTime().toEpochMilli();
            if (t < from || t > to) {
                continue;
            }
            String type = e.getEventType().getName();
            if (type.equals(sampleType)) {
                RecordedStackTrace stack = e.getStackTrace();
                if (stack == null || stack.getFrames().isEmpty()) {
                    continue;
                }
                // a CPU-time sample stands for the CPU time of its sampling period (which the throttle adapts)
                int weight = e.hasField("samplingPeriod")
                        ? (int) Math.max(1, e.getDuration("samplingPeriod").toNanos() / 100_000) : 1;
                jfr.samples += weight;
                jfr.events++;
                RecordedThread thread = e.hasField("sampledThread") ? e.getThread("sampledThread") : e.getThread("eventThread");
                jfr.byThread.merge(threadRole(thread), weight, Integer::sum);
                String step = step(stack);
                jfr.byStep.merge(step, weight, Integer::sum);
                RecordedFrame top = stack.getFrames().get(0);
                jfr.topFrames.computeIfAbsent(step, k -> new HashMap<>())
                        .merge(top.getMethod().getType().getName() + "." + top.getMethod().getName(), weight, Integer::sum);
            } else if (type.equals("jdk.SocketWrite") || type.equals("jdk.SocketRead")) {
                RecordedStackTrace stack = e.getStackTrace();
                String name = e.getThread() == null ? "" : String.valueOf(e.getThread().getJavaName());
                String peer;
                if (has(stack, "org.postgresql.")) {
                    if (name.equals("pg-listener") || has(stack, "io.spindle.db.PgListener")) {
                        continue; // LISTEN's reads wait for notifications
                    }
                    peer = "PostgreSQL: " + step(stack) + " [" + threadRole(e.getThread()) + "]";
                } else if (has(stack, "io.helidon.webclient.")) {
                    peer = "HTTP client → sink";
                } else {
                    peer = "HTTP server ← clients (reads: waits for the next request)";
                }
                if (type.equals("jdk.SocketWrite")) {
                    long[] c = jfr.writes.computeIfAbsent(peer, k -> new long[2]);
                    // the driver flushes once a message is complete; a write from a full buffer is no round trip
                    if (!peer.startsWith("PostgreSQL") || has(stack, "org.postgresql.core.PGStream")
                                                          && stackHasMethod(stack, "org.postgresql.core.PGStream", "flush")) {
                        c[0]++;
                    }
                    c[1] += e.getLong("bytesWritten");
                } else {
                    long[] c = jfr.reads.computeIfAbsent(peer, k -> new long[2]);
                    c[0]++;
                    c[1] += e.getDuration().toNanos();
                }
            }
        }
        return jfr;
    }

    private void steps(StringBuilder sb, Jfr jfr) {
        if (jfr.samples == 0) {
            sb.append("(no CPU samples in the window)\n\n");
            return;
        }
        sb.append(String.format("### Spindle's Java CPU by step (%s stacks, first matching frame from the innermost)%n%n"
                                + "| step | µs/task | share | hottest top frames |%n|---|---|---|---|%n", jfr.sampler));
        jfr.byStep.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).forEach(e -> {
            double share = (double) e.getValue() / jfr.samples;
            String tops = jfr.topFrames.get(e.getKey()).entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(2)
                    .map(f -> shortName(f.getKey()) + " " + Math.round(100.0 * f.getValue() / e.getValue()) + "%")
                    .reduce((a, b) -> a + ", " + b).orElse("");
            sb.append(String.format("| %s | %.1f | %.1f %% | %s |%n", e.getKey(), perTask(jfr.javaTicks * share), 100 * share, tops));
            out.put("step_us." + e.getKey().replaceAll("[^A-Za-z]+", "_"), String.format("%.1f", perTask(jfr.javaTicks * share)));
        });
        sb.append('\n');
    }

    private static String shortName(String method) {
        String[] parts = method.split("\\.");
        return parts.length < 2 ? method : parts[parts.length - 2] + "." + parts[parts.length - 1];
    }

    private void roundTrips(StringBuilder sb, Jfr jfr) {
        sb.append("### Round trips (JFR socket writes that end a message: one per statement sent; reads: the wait for its answer)\n\n"
                  + "| peer: step [thread] | round trips/task | round trips | mean wait for the answer | reads |\n|---|---|---|---|---|\n");
        Set<String> peers = new java.util.TreeSet<>(jfr.writes.keySet());
        peers.addAll(jfr.reads.keySet());
        long pgWrites = 0;
        for (String peer : peers) {
            long[] wr = jfr.writes.getOrDefault(peer, new long[2]);
            long[] rd = jfr.reads.getOrDefault(peer, new long[2]);
            double meanUs = wr[0] == 0 ? Double.NaN : rd[1] / 1e3 / wr[0];
            sb.append(String.format("| %s | %.4f | %,d | %s | %,d |%n", peer, (double) wr[0] / tasks, wr[0],
                                    Double.isNaN(meanUs) ? "" : String.format("%.0f µs", meanUs), rd[0]));
            if (peer.startsWith("PostgreSQL")) {
                pgWrites += wr[0];
                out.put("round_trips." + peer.replaceAll("[^A-Za-z]+", "_"), String.format("%.4f", (double) wr[0] / tasks));
                if (!Double.isNaN(meanUs)) {
                    out.put("statement_wait_us." + peer.replaceAll("[^A-Za-z]+", "_"), String.format("%.0f", meanUs));
                }
            }
        }
        out.put("round_trips_pg_per_task", String.format("%.4f", (double) pgWrites / tasks));
        sb.append(String.format("%nPostgreSQL round trips per task: %.4f (%,d statements for %,d tasks)%n%n", (double) pgWrites / tasks,
                                pgWrites, tasks));
    }

    // ------------------------------------------------------------------------------------------- PostgreSQL

    private void postgres(StringBuilder sb) {
        sb.append("### PostgreSQL (processes by kind, µs CPU per task)\n\n| process | µs/task |\n|---|---|\n");
        long pgTotal = 0;
        for (Map.Entry<String, String> e : kv.entrySet()) {
            if (e.getKey().startsWith(prefix + "pg.") && !e.getKey().endsWith("backends_of_other_databases")) {
                long t = Long.parseLong(e.getValue());
                pgTotal += t;
                String kind = e.getKey().substring((prefix + "pg.").length()).replace('_', ' ');
                sb.append(String.format("| %s | %.1f |%n", kind, perTask(t)));
                out.put("pg_cpu_us." + kind.replace(' ', '_'), String.format("%.1f", perTask(t)));
            }
        }
        sb.append(String.format("| **PostgreSQL for this database** | **%.1f** |%n", perTask(pgTotal)));
        sb.append(String.format("| the load generator (+ sink) | %.1f |%n%n", perTask(ticks("loadgen_ticks"))));
        out.put("pg_cpu_us", String.format("%.1f", perTask(pgTotal)));
        long commits = ticks("commits");
        sb.append(String.format("Commits in the database (pg_stat_database, flushed by backends with up to 1 s lag): %,d = %.4f"
                                + " a task; WAL syncs (cluster): %,d%n%n", commits, (double) commits / tasks, ticks("wal_syncs")));
        long samples = ticks("wait_samples");
        if (samples > 0) {
            double seconds = Double.parseDouble(require("seconds"));
            sb.append(String.format("pg_stat_activity, %d samples: average backends busy, and backend-µs per task%n%n"
                                    + "| wait (or CPU) | avg backends | backend-µs/task |%n|---|---|---|%n", samples));
            kv.entrySet().stream().filter(e -> e.getKey().startsWith(prefix + "wait."))
                    .sorted((a, b) -> Long.compare(Long.parseLong(b.getValue()), Long.parseLong(a.getValue())))
                    .forEach(e -> {
                        double avg = Double.parseDouble(e.getValue()) / samples;
                        sb.append(String.format("| %s | %.2f | %.1f |%n", e.getKey().substring((prefix + "wait.").length()),
                                                avg, avg * seconds * 1e6 / tasks));
                    });
            sb.append("\n| statement (start) | avg backends | backend-µs/task |\n|---|---|---|\n");
            for (int i = 0; i < 8; i++) {
                String v = kv.get(prefix + "statement." + i);
                if (v == null) {
                    break;
                }
                int bar = v.indexOf('|');
                double avg = Double.parseDouble(v.substring(0, bar)) / samples;
                sb.append(String.format("| `%s` | %.2f | %.1f |%n", v.substring(bar + 1).replace("|", "\\|"), avg,
                                        avg * seconds * 1e6 / tasks));
            }
            sb.append('\n');
        }
    }

    // ------------------------------------------------------------------------------------------- WAL

    private static final Pattern RECORD = Pattern.compile(
            "rmgr: (\\S+)\\s+len \\(rec/tot\\):\\s*(\\d+)/\\s*(\\d+), tx:\\s*(\\d+), lsn: \\S+, prev \\S+, desc: (\\S+)(.*)");
    private static final Pattern BLKREF = Pattern.compile("blkref #\\d+: rel (\\d+)/(\\d+)/(\\d+)");

    /** The WAL records of one transaction of the database. */
    private static final class Xact {
        final Map<String, Integer> recordsByRelType = new HashMap<>();
        long bytes;
    }

    private void wal(StringBuilder sb, Map<String, String> opts) throws IOException {
        String dbOid = Main.require(opts, "db-oid");
        Map<String, String> relNames = new HashMap<>();
        for (String line : Files.readAllLines(Path.of(Main.require(opts, "relmap")))) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 2) {
                relNames.put(f[0], f[1]);
            }
        }
        ProcessBuilder pb = new ProcessBuilder(Main.require(opts, "waldump"), "-p", Main.require(opts, "pgwal"),
                                               "-s", require("wal_lsn_start"), "-e", require("wal_lsn_end"));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        Map<Long, Xact> xacts = new HashMap<>();
        Map<String, long[]> byRelType = new TreeMap<>(); // "rel | rmgr TYPE" -> records, bytes
        Set<Long> committed = new HashSet<>();
        long commitBytes = 0;
        long clusterBytes = 0;
        long ours = 0;
        long fpiRecords = 0;
        Map<Long, Long> commitSizes = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Matcher m = RECORD.matcher(line);
                if (!m.find()) {
                    continue;
                }
                long tot = Long.parseLong(m.group(3));
                long xid = Long.parseLong(m.group(4));
                clusterBytes += tot;
                String rmgr = m.group(1);
                String type = m.group(5);
                String rest = m.group(6);
                if (rmgr.equals("Transaction") && type.startsWith("COMMIT")) {
                    commitSizes.put(xid, tot);
                    continue;
                }
                Matcher b = BLKREF.matcher(rest);
                if (!b.find() || !b.group(2).equals(dbOid)) {
                    continue;
                }
                String rel = relNames.getOrDefault(b.group(3), "filenode " + b.group(3));
                ours += tot;
                if (rest.contains("FPW")) {
                    fpiRecords++;
                }
                String key = rel + " | " + rmgr + " " + type;
                long[] c = byRelType.computeIfAbsent(key, k -> new long[2]);
                c[0]++;
                c[1] += tot;
                if (xid != 0) {
                    Xact x = xacts.computeIfAbsent(xid, k -> new Xact());
                    x.recordsByRelType.merge(key, 1, Integer::sum);
                    x.bytes += tot;
                }
            }
        }
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Map.Entry<Long, Long> c : commitSizes.entrySet()) {
            if (xacts.containsKey(c.getKey())) {
                committed.add(c.getKey());
                commitBytes += c.getValue();
            }
        }
        long total = ours + commitBytes;
        sb.append(String.format("### WAL (pg_waldump %s .. %s)%n%nthis database: %,d bytes = **%.0f bytes/task** (records on its"
                                + " relations %,d, their commit records %,d; %,d records carried a full-page image);"
                                + " the whole cluster wrote %,d bytes in the window (other databases included)%n%n",
                                require("wal_lsn_start"), require("wal_lsn_end"), total, (double) total / tasks, ours,
                                commitBytes, fpiRecords, clusterBytes));
        out.put("wal_bytes_per_task", String.format("%.0f", (double) total / tasks));
        sb.append("| relation | record | records/task | bytes/task |\n|---|---|---|---|\n");
        byRelType.entrySet().stream().sorted((a, c) -> Long.compare(c.getValue()[1], a.getValue()[1])).forEach(e -> {
            String[] rt = e.getKey().split(" \\| ");
            sb.append(String.format("| %s | %s | %.3f | %.1f |%n", rt[0], rt[1], (double) e.getValue()[0] / tasks,
                                    (double) e.getValue()[1] / tasks));
        });
        // transactions by kind: which index of the claim / completion they insert into
        Map<String, long[]> kinds = new TreeMap<>(); // kind -> xacts, bytes, task-row updates/inserts
        for (Map.Entry<Long, Xact> e : xacts.entrySet()) {
            Xact x = e.getValue();
            String kind = kind(x);
            long[] c = kinds.computeIfAbsent(kind, k -> new long[3]);
            c[0]++;
            c[1] += x.bytes + commitSizes.getOrDefault(e.getKey(), 0L);
            c[2] += x.recordsByRelType.entrySet().stream()
                    .filter(r -> r.getKey().startsWith("tasks | Heap ") && !r.getKey().contains("LOCK"))
                    .mapToInt(Map.Entry::getValue).sum();
        }
        sb.append(String.format("%nTransactions that wrote WAL here: %,d (%,d committed) = %.4f a task%n%n"
                                + "| transaction kind | transactions | rows written per transaction | WAL bytes per row |%n|---|---|---|---|%n",
                                xacts.size(), committed.size(), (double) committed.size() / tasks));
        out.put("write_transactions_per_task", String.format("%.4f", (double) committed.size() / tasks));
        kinds.forEach((k, c) -> sb.append(String.format("| %s | %,d | %.1f | %.0f |%n", k, c[0], (double) c[2] / Math.max(1, c[0]),
                                                        (double) c[1] / Math.max(1, c[2]))));
        sb.append('\n');
    }

    /** A transaction's kind, from the partial indexes its rows entered. */
    private static String kind(Xact x) {
        Set<String> keys = x.recordsByRelType.keySet();
        if (keys.stream().anyMatch(k -> k.startsWith("tasks_lease | "))) {
            return "claim (rows enter tasks_lease)";
        }
        if (keys.stream().anyMatch(k -> k.startsWith("tasks_finished | "))) {
            return "completion (rows enter tasks_finished)";
        }
        if (keys.stream().anyMatch(k -> k.startsWith("tasks | Heap INSERT"))) {
            return "enqueue (heap inserts)";
        }
        if (keys.stream().anyMatch(k -> k.startsWith("tasks | "))) {
            return "other change of tasks";
        }
        return "other (" + keys.stream().map(k -> k.split(" \\| ")[0]).distinct().sorted().reduce((a, b) -> a + ", " + b).orElse("") + ")";
    }
}
