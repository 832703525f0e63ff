package bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point of the throughput benchmark's Java side (bench/run.sh drives it):
 * <pre>
 *   run     --target http://127.0.0.1:PORT --pid SPINDLE_PID --db DATABASE --phases enqueue,batch,drain,drain-topic,steady,wakeup
 *           --out FILE [tunables]          measure a running Spindle (the sink runs in this process)
 *   profile --db DATABASE --seconds N [--delay S] --label L --out FILE
 *                                          CPU and PostgreSQL waits for N seconds (beside pgbench)
 *   sink    --url-file FILE                run the no-op HTTP sink alone until killed (bench/peers: one sink for
 *                                          Spindle and the peer); its URL goes to FILE
 *   report  --dir RESULTS_DIR              print the table from the .kv files of one run
 *   jfr     --file X.jfr --kv X.kv [--top N]  hot methods of a Spindle recording, per phase
 *   cost    --kv X.kv --phase P [--jfr X.jfr] [--waldump BIN --pgwal DIR --db-oid OID --relmap FILE]
 *                                          one phase's cost per task: CPU by thread and step, round trips, WAL
 * </pre>
 * Results are written as {@code key=value} lines.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        Map<String, String> opts = options(args);
        switch (args[0]) {
            case "run" -> Phases.run(opts);
            case "profile" -> profile(opts);
            case "sink" -> sink(opts);
            case "report" -> Report.print(Path.of(require(opts, "dir")));
            case "cost" -> Cost.print(opts);
            case "jfr" -> JfrHot.print(Path.of(require(opts, "file")), Path.of(require(opts, "kv")),
                                       Integer.parseInt(opts.getOrDefault("top", "15")));
            default -> usage();
        }
    }

    private static void profile(Map<String, String> opts) throws Exception {
        String label = require(opts, "label");
        int seconds = Integer.parseInt(require(opts, "seconds"));
        Map<String, String> out = new LinkedHashMap<>();
        try (Profiler profiler = new Profiler(-1, opts.get("db"), Integer.parseInt(opts.getOrDefault("clk-tck", "100")),
                                                opts.get("psql"))) {
            // let psql connect; --delay lets the caller start its load after this JVM is up
            Thread.sleep(Math.max(300, (long) (Double.parseDouble(opts.getOrDefault("delay", "0")) * 1000)));
            profiler.begin(label);
            Thread.sleep(seconds * 1000L);
            out.put("profile." + label, profiler.end());
            out.put("noise." + label, String.format("%.0f", profiler.lastOtherCpu));
        }
        append(Path.of(require(opts, "out")), out);
    }

    private static void sink(Map<String, String> opts) throws Exception {
        Sink sink = new Sink();
        Files.writeString(Path.of(require(opts, "url-file")), sink.url() + "\n");
        Thread.currentThread().join(); // until killed
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String key = args[i].substring(2);
            if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                opts.put(key, args[++i]);
            } else {
                opts.put(key, "true");
            }
        }
        return opts;
    }

    static String require(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }

    /** Appends key=value lines to a file. */
    static synchronized void append(Path file, Map<String, String> kv) throws IOException {
        List<String> lines = new ArrayList<>();
        kv.forEach((k, v) -> lines.add(k + "=" + v.replace('\n', ' ')));
        Files.write(file, lines, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    private static void usage() {
        System.err.println("usage: loadgen run|profile|report --option value ... (see bench/run.sh)");
        System.exit(2);
    }
}
