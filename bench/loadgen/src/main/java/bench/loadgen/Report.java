package bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The table of one bench/run.sh run, from its .kv files: {@code run.kv} (what was run), {@code pgbench.kv}
 * (PostgreSQL's own limits) and {@code spindle-h<heap>-w<workers>.kv} (one per Spindle launch).
 */
final class Report {
    private final Map<String, String> run;
    private final Map<String, String> pg;
    private final List<String> heaps;
    private final List<String> workers;
    private final String primary;
    private final Map<String, Map<String, String>> spindle = new LinkedHashMap<>();
    private final StringBuilder out = new StringBuilder();

    private Report(Path dir) throws IOException {
        run = read(dir.resolve("run.kv"));
        pg = read(dir.resolve("pgbench.kv"));
        heaps = List.of(run.getOrDefault("heaps", "1g").trim().split("\\s+"));
        workers = List.of(run.getOrDefault("workers", "128").trim().split("\\s+"));
        primary = workers.get(0);
        for (String heap : heaps) {
            for (String w : workers) {
                spindle.put(heap + "/" + w, read(dir.resolve("spindle-h" + heap + "-w" + w + ".kv")));
            }
        }
    }

    static void print(Path dir) throws IOException {
        System.out.print(new Report(dir).render());
    }

    private static Map<String, String> read(Path file) throws IOException {
        Map<String, String> kv = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return kv;
        }
        for (String line : Files.readAllLines(file)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                kv.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return kv;
    }

    private Map<String, String> s(String heap, String w) {
        return spindle.getOrDefault(heap + "/" + w, Map.of());
    }

    private static Double num(Map<String, String> kv, String key) {
        String v = kv.get(key);
        if (v == null || v.isBlank() || v.equals("?")) {
            return null;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String count(Double v) {
        return v == null ? "—" : String.format("%,.0f", v);
    }

    private static String ms(Double v) {
        if (v == null) {
            return "—";
        }
        return v >= 100 ? String.format("%,.0f", v) : String.format("%.1f", v);
    }

    private static String ratio(Double a, Double b) {
        return a == null || b == null || b == 0 ? "—" : String.format("%.2f×", a / b);
    }

    private static String change(Double now, Double base) {
        return now == null || base == null || base == 0 ? "—" : String.format("%+.0f %%", 100 * (now - base) / base);
    }

    private void row(String... cells) {
        out.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    /** One throughput row: per heap the figure, ratio to the PostgreSQL limit, verdicts. */
    private void throughput(String metric, String key, String w, Double limit, String limitText, double target) {
        List<String> cells = new ArrayList<>();
        cells.add(metric);
        List<Double> values = new ArrayList<>();
        for (String heap : heaps) {
            Double v = num(s(heap, w), key);
            values.add(v);
            boolean timedOut = s(heap, w).containsKey(key.substring(0, key.indexOf('.')) + ".timed_out");
            cells.add(count(v) + (timedOut ? " (timed out)" : ""));
        }
        if (heaps.size() > 1) {
            cells.add(change(values.get(1), values.get(0)));
        }
        cells.add(limit == null ? "—" : count(limit) + " " + limitText);
        List<String> verdicts = new ArrayList<>();
        for (int i = 0; i < heaps.size(); i++) {
            cells.add(ratio(values.get(i), limit));
            if (values.get(i) != null && limit != null) {
                verdicts.add((heaps.size() > 1 ? heaps.get(i) + " " : "") + (values.get(i) / limit >= target ? "ok" : "MISS"));
            }
        }
        String heapTarget = "";
        if (heaps.size() > 1 && values.get(0) != null && values.get(1) != null) {
            verdicts.add("heap " + (values.get(1) >= 0.9 * values.get(0) ? "ok" : "MISS"));
            heapTarget = "; " + heaps.get(1) + " ≥ −10 %";
        }
        // one decimal as before (≥ 1.0×, ≥ 0.5×), two when the target needs them (≥ 0.75×)
        cells.add((Math.abs(target * 10 - Math.rint(target * 10)) < 1e-9 ? String.format("≥ %.1f×", target)
                : String.format("≥ %.2f×", target)) + heapTarget);
        cells.add(String.join(", ", verdicts));
        row(cells.toArray(String[]::new));
    }

    /** A row of latencies (two figures per heap), no PostgreSQL limit. */
    private void latency(String metric, String w, String k1, String k2, String unit, String extraKey,
                         String target, Double max1, Double max2) {
        List<String> cells = new ArrayList<>();
        cells.add(metric);
        List<String> verdicts = new ArrayList<>();
        List<Double> firsts = new ArrayList<>();
        for (String heap : heaps) {
            Map<String, String> kv = s(heap, w);
            Double a = num(kv, k1);
            Double b = num(kv, k2);
            firsts.add(a);
            String extra = extraKey == null || kv.get(extraKey) == null ? "" : " " + String.format(unit, num(kv, extraKey));
            cells.add(ms(a) + " / " + ms(b) + " ms" + extra);
            if (max1 != null && a != null && b != null) {
                boolean lost = !"0".equals(kv.getOrDefault("wakeup.undelivered", "0"));
                verdicts.add((heaps.size() > 1 ? heap + " " : "") + (a <= max1 && b <= max2 && !lost ? "ok" : "MISS"));
            }
        }
        if (heaps.size() > 1) {
            cells.add(change(firsts.get(1), firsts.get(0)));
        }
        cells.add("");
        for (String ignored : heaps) {
            cells.add("");
        }
        cells.add(target);
        cells.add(String.join(", ", verdicts));
        row(cells.toArray(String[]::new));
    }

    private String render() {
        out.append("\n## Spindle throughput benchmark (").append(run.getOrDefault("mode", "full")).append(" run, ")
                .append(run.getOrDefault("date", "?")).append(")\n\n");
        out.append(run.getOrDefault("machine", "")).append("\n").append(run.getOrDefault("jar", "")).append("\n\n");
        List<String> head = new ArrayList<>(List.of("metric"));
        for (String heap : heaps) {
            head.add("Spindle -Xmx" + heap);
        }
        if (heaps.size() > 1) {
            head.add(heaps.get(1) + " vs " + heaps.get(0));
        }
        head.add("PostgreSQL limit (pgbench)");
        for (String heap : heaps) {
            head.add(heaps.size() > 1 ? "ratio " + heap : "ratio");
        }
        head.add("target");
        head.add("result");
        row(head.toArray(String[]::new));
        row(head.stream().map(h -> "---").toArray(String[]::new));

        Map<String, String> p = s(heaps.get(0), primary);
        String clients = p.getOrDefault("enqueue.clients", "64");
        String batchClients = p.getOrDefault("batch.clients", "8");
        String batchSize = p.getOrDefault("batch.size", "100");
        throughput("(a) enqueue, 1 task/request, " + clients + " clients: tasks/s", "enqueue.tasks_per_s", primary,
                   num(pg, "pg.insert1.tps"), "TPS, 1 INSERT/tx, " + pg.getOrDefault("pg.insert1.clients", "32") + " clients", 1.0);
        latency("(a) enqueue latency p50 / p99", primary, "enqueue.p50_ms", "enqueue.p99_ms", "", null, "", null, null);
        throughput("(b) batch enqueue, " + batchSize + " tasks/request, " + batchClients + " clients: tasks/s",
                   "batch.tasks_per_s", primary, num(pg, "pg.insert100.rows_per_s"),
                   "rows/s, 100-row INSERT/tx, " + pg.getOrDefault("pg.insert100.clients", "8") + " clients", 0.5);
        String drainTasks = p.getOrDefault("drain.tasks", "20000");
        for (String w : workers) {
            throughput("(c) drain " + String.format("%,d", Integer.parseInt(drainTasks)) + ", worker.max-concurrent=" + w
                       + ": tasks/s", "drain.tasks_per_s", w, num(pg, "pg.claim.tasks_per_s"),
                       "tasks/s, claim 100 + complete, " + pg.getOrDefault("pg.claim.clients", "8") + " clients", 0.5);
        }
        latency("(c) drain (max-concurrent=" + primary + "): resume → delivery p50 / p99", primary,
                "drain.resume_to_delivery_p50_ms", "drain.resume_to_delivery_p99_ms", "", null, "", null, null);
        latency("(c) steady " + p.getOrDefault("steady.rate_target", "2000") + "/s: enqueue → delivery p50 / p99",
                primary, "steady.p50_ms", "steady.p99_ms", "(%,.0f/s sent)", "steady.rate_achieved", "", null, null);
        String topicTasks = p.getOrDefault("drain_topic.tasks", drainTasks);
        throughput("(c-topic) drain " + String.format("%,d", Integer.parseInt(topicTasks)) + " through a topic handler"
                   + " (no subscriber), worker.max-concurrent=" + primary + ": tasks/s", "drain_topic.tasks_per_s",
                   primary, num(pg, "pg.claim.tasks_per_s"),
                   "tasks/s, claim 100 + complete, " + pg.getOrDefault("pg.claim.clients", "8") + " clients", 0.75);
        latency("(d) idle wake-up: enqueue → delivery median / max", primary, "wakeup.median_ms", "wakeup.max_ms", "",
                null, "≤ 2 ms / ≤ 10 ms", 2.0, 10.0);
        List<String> rssCells = new ArrayList<>(List.of("RSS after the drain (max-concurrent=" + primary + ")"));
        List<Double> rss = new ArrayList<>();
        for (String heap : heaps) {
            Double v = num(s(heap, primary), "rss_after_drain_mb");
            rss.add(v);
            rssCells.add(v == null ? "—" : String.format("%.0f MB (peak %s MB)", v, s(heap, primary).getOrDefault("rss_peak_mb", "?")));
        }
        if (heaps.size() > 1) {
            rssCells.add(change(rss.get(1), rss.get(0)));
        }
        rssCells.add("");
        heaps.forEach(h -> rssCells.add(""));
        rssCells.add("");
        rssCells.add("");
        row(rssCells.toArray(String[]::new));

        checks();
        noise();
        profiles();
        return out.toString();
    }

    private void checks() {
        out.append("\nChecks (every count should match; errors should be none):\n");
        out.append(String.format("- pgbench: 1 INSERT/tx %s TPS (%s clients, avg latency %s ms); 100-row INSERT/tx %s rows/s;"
                                 + " claim+complete %s tasks/s (%s pending rows left of %s prefilled%s)%n",
                                 count(num(pg, "pg.insert1.tps")), pg.getOrDefault("pg.insert1.clients", "?"),
                                 pg.getOrDefault("pg.insert1.latency_ms", "?"), count(num(pg, "pg.insert100.rows_per_s")),
                                 count(num(pg, "pg.claim.tasks_per_s")), pg.getOrDefault("pg.claim.pending_left", "?"),
                                 pg.getOrDefault("pg.claim.prefilled", "?"),
                                 "0".equals(pg.get("pg.claim.pending_left")) ? " — EXHAUSTED: the figure is a lower bound" : ""));
        for (Map.Entry<String, Map<String, String>> e : spindle.entrySet()) {
            Map<String, String> kv = e.getValue();
            String[] hw = e.getKey().split("/");
            StringBuilder sb = new StringBuilder("- Spindle -Xmx" + hw[0] + ", worker.max-concurrent=" + hw[1] + ": ");
            if (kv.isEmpty()) {
                out.append(sb).append("NO RESULTS (see its log)\n");
                continue;
            }
            List<String> parts = new ArrayList<>();
            if (kv.containsKey("enqueue.errors")) {
                parts.add("enqueue errors " + kv.get("enqueue.errors") + " (" + kv.get("enqueue.acked_total") + " acked, "
                          + kv.get("enqueue.pending_in_queue") + " pending in the queue)");
            }
            if (kv.containsKey("batch.errors")) {
                parts.add("batch errors " + kv.get("batch.errors") + " (" + kv.get("batch.acked_tasks_total") + " acked, "
                          + kv.get("batch.pending_in_queue") + " pending)");
            }
            if (kv.containsKey("drain.tasks")) {
                parts.add("drain " + kv.get("drain.succeeded") + "/" + kv.get("drain.tasks") + " succeeded, "
                          + kv.get("drain.failed") + " failed, " + kv.get("drain.delivered_distinct") + " delivered + "
                          + kv.get("drain.delivered_repeats") + " repeats, first delivery after "
                          + kv.getOrDefault("drain.first_delivery_ms", "?") + " ms"
                          + (kv.containsKey("drain.warmup_tasks_per_s") ? ", unmeasured warm-up drain "
                                  + kv.get("drain.warmup_tasks_per_s") + " tasks/s" : "")
                          + (kv.containsKey("drain.claim_statements") ? ", " + kv.get("drain.claim_statements")
                                  + " claims of " + kv.get("drain.tasks_per_claim") + " tasks on average" : "")
                          + (kv.containsKey("drain.handler_mean_ms") ? ", http handler " + kv.get("drain.handler_mean_ms")
                                  + " ms per attempt on average" : "") + ", errors "
                          + kv.get("drain.errors") + (kv.containsKey("drain.timed_out") ? ", TIMED OUT " + kv.get("drain.timed_out") : ""));
            }
            if (kv.containsKey("drain_topic.tasks")) {
                parts.add("topic drain " + kv.get("drain_topic.succeeded") + "/" + kv.get("drain_topic.tasks") + " succeeded, "
                          + kv.get("drain_topic.failed") + " failed"
                          + (kv.containsKey("drain_topic.warmup_tasks_per_s") ? ", unmeasured warm-up drain "
                                  + kv.get("drain_topic.warmup_tasks_per_s") + " tasks/s" : "")
                          + (kv.containsKey("drain_topic.claim_statements") ? ", " + kv.get("drain_topic.claim_statements")
                                  + " claims of " + kv.get("drain_topic.tasks_per_claim") + " tasks on average" : "")
                          + (kv.containsKey("drain_topic.handler_mean_ms") ? ", topic handler "
                                  + kv.get("drain_topic.handler_mean_ms") + " ms per attempt on average" : "")
                          + ", RSS after " + kv.getOrDefault("drain_topic.rss_after_mb", "?") + " MB, errors "
                          + kv.get("drain_topic.errors")
                          + (kv.containsKey("drain_topic.timed_out") ? ", TIMED OUT " + kv.get("drain_topic.timed_out") : ""));
            }
            if (kv.containsKey("steady.errors")) {
                parts.add("steady " + kv.get("steady.succeeded") + "/" + kv.get("steady.acked_total") + " succeeded, "
                          + kv.get("steady.undelivered") + " undelivered, " + kv.get("steady.delivered_repeats")
                          + " repeats, " + kv.get("steady.late_sends_over_5ms") + " sends >5 ms late, ack p50/p99 "
                          + kv.get("steady.ack_p50_ms") + "/" + kv.get("steady.ack_p99_ms") + " ms, errors " + kv.get("steady.errors"));
            }
            if (kv.containsKey("wakeup.errors")) {
                String over = kv.keySet().stream().filter(k -> k.startsWith("wakeup.over_")).findFirst()
                        .map(k -> kv.get(k) + " took over " + k.substring("wakeup.over_".length())).orElse("?");
                parts.add("wake-up " + kv.get("wakeup.count") + " measured, ack median " + kv.get("wakeup.ack_median_ms")
                          + " ms, ack→delivery median " + kv.get("wakeup.ack_to_delivery_median_ms") + " ms, "
                          + kv.get("wakeup.delivered_before_ack") + " delivered before the ack, " + over + ", "
                          + kv.get("wakeup.undelivered") + " never delivered, errors " + kv.get("wakeup.errors"));
            }
            kv.forEach((k, v) -> {
                if (k.endsWith(".phase_error")) {
                    parts.add("PHASE " + k.substring(0, k.length() - ".phase_error".length()).toUpperCase() + " FAILED: " + v);
                }
            });
            if (!"0".equals(kv.getOrDefault("admin.retries", "0"))) {
                parts.add(kv.get("admin.retries") + " admin requests retried after the server closed a kept-alive connection");
            }
            parts.add("Spindle log: " + kv.getOrDefault("log.warnings", "?") + " WARNING/SEVERE lines");
            out.append(sb).append(String.join("; ", parts)).append('\n');
        }
    }

    private void noise() {
        List<String> parts = new ArrayList<>();
        double worst = 0;
        for (Map.Entry<String, String> e : pg.entrySet()) {
            if (e.getKey().startsWith("noise.")) {
                parts.add(e.getKey().substring(6) + " " + e.getValue() + " %");
                worst = Math.max(worst, Double.parseDouble(e.getValue()));
            }
        }
        for (Map.Entry<String, Map<String, String>> s : spindle.entrySet()) {
            for (Map.Entry<String, String> e : s.getValue().entrySet()) {
                if (e.getKey().startsWith("noise.")) {
                    String[] hw = s.getKey().split("/");
                    parts.add(e.getKey().substring(6) + " (" + hw[0] + ", w" + hw[1] + ") " + e.getValue() + " %");
                    worst = Math.max(worst, Double.parseDouble(e.getValue()));
                }
            }
        }
        if (parts.isEmpty()) {
            return;
        }
        out.append("\nOther load on the machine (CPU of processes outside the benchmark, percent of one core): ")
                .append(String.join(", ", parts)).append('\n');
        if (worst > 25) {
            out.append(String.format("WARNING: other processes took up to %.0f %% of a core during a phase; the figures and"
                                     + " ratios of this run are disturbed (rerun on a quiet machine).%n", worst));
        }
    }

    private void profiles() {
        out.append("\nWhere the CPU went (percent of one core; 2 cores = 200 %):\n");
        pg.forEach((k, v) -> {
            if (k.startsWith("profile.")) {
                out.append("- ").append(k.substring("profile.".length())).append(": ").append(v).append('\n');
            }
        });
        for (Map.Entry<String, Map<String, String>> e : spindle.entrySet()) {
            String[] hw = e.getKey().split("/");
            e.getValue().forEach((k, v) -> {
                if (k.startsWith("profile.")) {
                    out.append("- ").append(k.substring("profile.".length())).append(" (-Xmx").append(hw[0])
                            .append(", max-concurrent=").append(hw[1]).append("): ").append(v).append('\n');
                }
            });
        }
    }
}
