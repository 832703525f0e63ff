package bench.loadgen;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * The measured phases against one running Spindle. Each phase uses its own queue, created here with the
 * in-process {@link Sink} as its http backend (or, with {@code --sink-url}, a {@code loadgen sink} in another
 * process: the drains only), and appends its figures to the output file as soon as it ends.
 * <ul>
 *     <li>{@code enqueue}: closed loop, N clients each with one keep-alive connection, one task per POST, into a
 *         paused queue; warm-up, then a fixed window: tasks/s, latency p50/p99;</li>
 *     <li>{@code batch}: the same with 100 tasks per POST to /tasks/batch;</li>
 *     <li>{@code drain}: 20,000 tasks pre-enqueued into a paused queue, then resume; time until the queue's
 *         stats say all succeeded (polled every 100 ms, every 20 ms for the last 10 %);</li>
 *     <li>{@code drain-topic}: the same drain through a {@code topic} handler to a topic nobody subscribes to (an
 *         in-process no-op publish): Spindle's own dispatch cost without the http delivery;</li>
 *     <li>{@code steady}: open loop at a fixed rate into a running queue: enqueue-to-delivery latency (request
 *         start to the sink's receipt, both on this process's clock);</li>
 *     <li>{@code wakeup}: one task at a time into an idle service, 100 ms apart: request start to receipt.</li>
 * </ul>
 */
final class Phases {
    private final String host;
    private final int port;
    private final String hostPort;
    private final int pid;
    private final Sink sink;
    private final Profiler profiler;
    private final Path out;
    private final Map<String, String> opts;
    private final HttpConn admin;
    private final String label;
    /** --sink-url: a sink in another process (loadgen sink) that the http queues deliver to instead, or null. */
    private final URI externalSink;

    private Phases(Map<String, String> opts, Sink sink, Profiler profiler) {
        URI target = URI.create(Main.require(opts, "target"));
        this.host = target.getHost();
        this.port = target.getPort();
        this.hostPort = host + ":" + port;
        this.pid = Integer.parseInt(opts.getOrDefault("pid", "-1"));
        this.sink = sink;
        this.profiler = profiler;
        this.out = Path.of(Main.require(opts, "out"));
        this.opts = opts;
        this.admin = new HttpConn(host, port);
        this.label = opts.getOrDefault("label", "spindle");
        this.externalSink = opts.containsKey("sink-url") ? URI.create(opts.get("sink-url")) : null;
    }

    static void run(Map<String, String> opts) throws Exception {
        int clk = Integer.parseInt(opts.getOrDefault("clk-tck", "100"));
        HttpConn.extraHeader = opts.get("header");
        int pid = Integer.parseInt(opts.getOrDefault("pid", "-1"));
        try (Sink sink = new Sink(); Profiler profiler = new Profiler(pid, opts.get("db"), clk, opts.get("psql"))) {
            Phases phases = new Phases(opts, sink, profiler);
            if (opts.containsKey("pause-default")) {
                log("[" + phases.label + "] pausing the queue 'default' (--pause-default)");
                phases.post("/v1/queues/default/pause", 200);
            }
            for (String phase : Main.require(opts, "phases").split(",")) {
                Map<String, String> kv;
                try {
                    kv = switch (phase.trim()) {
                        case "enqueue" -> phases.enqueue();
                        case "batch" -> phases.batch();
                        case "drain" -> phases.drain();
                        case "drain-topic" -> phases.drainTopic();
                        case "steady" -> phases.inProcessSink(phase).steady();
                        case "wakeup" -> phases.inProcessSink(phase).wakeup();
                        default -> throw new IllegalArgumentException("unknown phase " + phase);
                    };
                } catch (IOException e) {
                    // one phase failing (Spindle gone, an admin request refused) does not stop the others
                    log("  phase " + phase + " FAILED: " + e);
                    kv = new LinkedHashMap<>(Map.of(phase.trim() + ".phase_error", String.valueOf(e)));
                }
                kv.put("admin.retries", Long.toString(phases.adminRetries));
                Main.append(phases.out, kv);
                kv.forEach((k, v) -> log("  " + k + " = " + v));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- options

    private int intOpt(String key, int def) {
        return Integer.parseInt(opts.getOrDefault(key, Integer.toString(def)));
    }

    private double doubleOpt(String key, double def) {
        return Double.parseDouble(opts.getOrDefault(key, Double.toString(def)));
    }

    static void log(String s) {
        System.err.println(s);
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private long adminRetries;

    /**
     * One request on the admin connection (queue set-up, pause/resume, stats, metrics: all idempotent). A
     * failure of a kept-alive connection is retried once on a new one, counted in {@code admin.retries}.
     */
    private int adminExchange(byte[] head, byte[] body) throws IOException {
        try {
            return admin.exchange(head, body);
        } catch (IOException e) {
            adminRetries++;
            log("    admin request failed (" + e + "); retrying once on a new connection");
            return admin.exchange(head, body);
        }
    }

    /** This, for a phase that reads the in-process sink's arrival times (which an external sink cannot give). */
    private Phases inProcessSink(String phase) {
        if (externalSink != null) {
            throw new IllegalArgumentException("phase " + phase + " needs the in-process sink, not --sink-url");
        }
        return this;
    }

    /** Forgets the sink's arrivals and counts. */
    private void resetSink() throws IOException {
        if (externalSink == null) {
            sink.reset();
        } else {
            sinkControl("POST", "/_sink/reset");
        }
    }

    /** A control request to the external sink; answers its counts (JSON). */
    private String sinkControl(String method, String path) throws IOException {
        try (HttpConn conn = new HttpConn(externalSink.getHost(), externalSink.getPort())) {
            String sinkHost = externalSink.getHost() + ":" + externalSink.getPort();
            int status = conn.exchange(HttpConn.head(method, path, sinkHost, -1), null);
            if (status != 200) {
                throw new IOException(method + " " + path + " on the sink answered " + status);
            }
            return conn.bodyText();
        }
    }

    /** Creates (or replaces) an http queue whose backend is the sink. */
    private void createQueue(String name, boolean paused, int maxConcurrent) throws IOException {
        createQueue(name, paused, maxConcurrent, httpHandler());
    }

    /** The http handler delivering to the sink. */
    private String httpHandler() {
        String url = externalSink != null ? externalSink.toString() : sink.url();
        return "{\"type\":\"http\",\"backends\":[\"" + url + "\"],\"timeout\":\"PT30S\"}";
    }

    /** Creates (or replaces) a queue with the given handler (JSON). */
    private void createQueue(String name, boolean paused, int maxConcurrent, String handler) throws IOException {
        String body = "{\"handler\":" + handler + ","
                      + "\"maxConcurrent\":" + maxConcurrent + ",\"paused\":" + paused + "}";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        int status = adminExchange(HttpConn.head("PUT", "/v1/queues/" + name, hostPort, b.length), b);
        if (status != 201 && status != 200) {
            throw new IOException("PUT /v1/queues/" + name + " answered " + status + ": " + admin.bodyText());
        }
    }

    private void post(String path, int expect) throws IOException {
        int status = adminExchange(HttpConn.head("POST", path, hostPort, -1), null);
        if (status != expect) {
            throw new IOException("POST " + path + " answered " + status + ": " + admin.bodyText());
        }
    }

    /** The queue's stats: pending, running, succeeded, failed. */
    private long[] stats(String queue) throws IOException {
        int status = adminExchange(HttpConn.head("GET", "/v1/queues/" + queue, hostPort, -1), null);
        if (status != 200) {
            throw new IOException("GET /v1/queues/" + queue + " answered " + status + ": " + admin.bodyText());
        }
        String body = admin.bodyText();
        return new long[]{jsonLong(body, "pending"), jsonLong(body, "running"), jsonLong(body, "succeeded"),
                          jsonLong(body, "failed")};
    }

    /**
     * Sums the samples of a metric in Spindle's Prometheus exposition (lines {@code name{labels} value} or
     * {@code name value}) whose labels contain {@code labelPart} (or any, when null); NaN when none.
     */
    private double metric(String name, String labelPart) {
        try {
            int status = adminExchange(HttpConn.head("GET", "/observe/metrics", hostPort, -1), null);
            if (status != 200) {
                return Double.NaN;
            }
        } catch (IOException e) {
            return Double.NaN;
        }
        double sum = 0;
        boolean found = false;
        for (String line : admin.bodyText().split("\n")) {
            if (!line.startsWith(name) || line.length() == name.length()) {
                continue;
            }
            char next = line.charAt(name.length());
            if (next != '{' && next != ' ') {
                continue;
            }
            int valueAt = line.lastIndexOf(' ');
            String labels = next == '{' ? line.substring(name.length(), line.indexOf('}') + 1) : "";
            if (labelPart != null && !labels.contains(labelPart)) {
                continue;
            }
            try {
                sum += Double.parseDouble(line.substring(valueAt + 1));
                found = true;
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        return found ? sum : Double.NaN;
    }

    static long jsonLong(String body, String key) {
        String k = "\"" + key + "\":";
        int i = body.indexOf(k);
        if (i < 0) {
            return -1;
        }
        i += k.length();
        long v = 0;
        while (i < body.length() && Character.isDigit(body.charAt(i))) {
            v = v * 10 + (body.charAt(i++) - '0');
        }
        return v;
    }

    /** Task ids in a response body: every {@code "id":"123"}. */
    static int ids(byte[] body, int length, long[] into) {
        int n = 0;
        byte[] key = "\"id\":\"".getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + key.length < length; i++) {
            for (int j = 0; j < key.length; j++) {
                if (body[i + j] != key[j]) {
                    continue outer;
                }
            }
            int k = i + key.length;
            long v = 0;
            while (k < length && body[k] >= '0' && body[k] <= '9') {
                v = v * 10 + (body[k++] - '0');
            }
            if (into != null && n < into.length) {
                into[n] = v;
            }
            n++;
            i = k;
        }
        return n;
    }

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] batchBody(int size) {
        StringBuilder sb = new StringBuilder("{\"tasks\":[");
        for (int i = 0; i < size; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"payload\":{\"n\":1}}");
        }
        return json(sb.append("]}").toString());
    }

    /** Counts failures by kind ("HTTP 503", "SocketTimeoutException"); logs the first of each kind. */
    private static final class Errors {
        private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

        void add(String kind, String detail) {
            if (counts.computeIfAbsent(kind, k -> new LongAdder()).sum() == 0) {
                log("    first " + kind + ": " + detail);
            }
            counts.get(kind).increment();
        }

        void http(int status, HttpConn conn) {
            String body = conn.bodyText();
            add("HTTP " + status, body.length() > 300 ? body.substring(0, 300) : body);
        }

        void exception(Exception e) {
            add(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
        }

        long total() {
            return counts.values().stream().mapToLong(LongAdder::sum).sum();
        }

        String summary() {
            if (counts.isEmpty()) {
                return "none";
            }
            return counts.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue().sum())
                    .collect(Collectors.joining(", "));
        }
    }

    private static String f1(double v) {
        return String.format("%.1f", v);
    }

    private static String f2(double v) {
        return String.format("%.2f", v);
    }

    private static String f0(double v) {
        return String.format("%.0f", v);
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 50_000_000L));
        }
    }

    private String rss() {
        if (pid <= 0) {
            return "?";
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return f1(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0);
                }
            }
        } catch (IOException e) {
            // gone
        }
        return "?";
    }

    private String hwm() {
        if (pid <= 0) {
            return "?";
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return f1(Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0);
                }
            }
        } catch (IOException e) {
            // gone
        }
        return "?";
    }

    // ---------------------------------------------------------------------------------------------- closed loop

    private record Closed(long okInWindow, long okTotal, Samples latencies, Errors errors, double windowSeconds,
                          String profile) {
    }

    /**
     * Clients each send {@code head + body} back to back on their own connection until the window ends; a 201
     * with {@code expectIds} task ids counts. Counted: responses completed inside the window; latencies of
     * requests that started and ended inside it.
     */
    private Closed closedLoop(String phase, int clients, byte[] head, byte[] body, int expectIds, double warmup,
                              double duration) throws InterruptedException {
        long start = System.nanoTime();
        long windowStart = start + (long) (warmup * 1e9);
        long windowEnd = windowStart + (long) (duration * 1e9);
        Errors errors = new Errors();
        LongAdder okInWindow = new LongAdder();
        LongAdder okTotal = new LongAdder();
        List<Samples> perClient = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Samples samples = new Samples();
            perClient.add(samples);
            threads.add(Thread.ofVirtual().name(phase + "-client-" + c).start(() -> {
                try (HttpConn conn = new HttpConn(host, port)) {
                    long t0;
                    while ((t0 = System.nanoTime()) < windowEnd) {
                        try {
                            int status = conn.exchange(head, body);
                            long t1 = System.nanoTime();
                            if (status != 201) {
                                errors.http(status, conn);
                                continue;
                            }
                            int n = ids(conn.body, conn.bodyLength, null);
                            if (n != expectIds) {
                                errors.add("short response", n + " ids instead of " + expectIds);
                                continue;
                            }
                            okTotal.increment();
                            if (t1 >= windowStart && t1 <= windowEnd) {
                                okInWindow.increment();
                                if (t0 >= windowStart) {
                                    samples.add(t1 - t0);
                                }
                            }
                        } catch (IOException e) {
                            errors.exception(e);
                            LockSupport.parkNanos(10_000_000L);
                        }
                    }
                }
            }));
        }
        sleepUntil(windowStart);
        profiler.begin(phase);
        sleepUntil(windowEnd);
        String profile = profiler.end();
        for (Thread t : threads) {
            t.join();
        }
        Samples all = new Samples();
        perClient.forEach(all::addAll);
        return new Closed(okInWindow.sum(), okTotal.sum(), all, errors, duration, profile);
    }

    // ---------------------------------------------------------------------------------------------- (a) enqueue

    private Map<String, String> enqueue() throws Exception {
        int clients = intOpt("clients", 64);
        double warmup = doubleOpt("warmup", 3);
        double duration = doubleOpt("duration", 15);
        String queue = "bench_enqueue";
        log("[" + label + "] (a) enqueue: " + clients + " clients, one task per request, " + warmup + " s warm-up + "
            + duration + " s, paused queue");
        createQueue(queue, true, 256);
        byte[] body = json("{\"payload\":{\"n\":1}}");
        byte[] head = HttpConn.head("POST", "/v1/queues/" + queue + "/tasks", hostPort, body.length);
        Closed r = closedLoop("enqueue", clients, head, body, 1, warmup, duration);
        long stored = stats(queue)[0];
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("enqueue.clients", Integer.toString(clients));
        kv.put("enqueue.seconds", f1(duration));
        kv.put("enqueue.tasks_per_s", f0(r.okInWindow() / duration));
        kv.put("enqueue.p50_ms", f2(Samples.ms(r.latencies().quantile(0.50))));
        kv.put("enqueue.p99_ms", f2(Samples.ms(r.latencies().quantile(0.99))));
        kv.put("enqueue.max_ms", f2(Samples.ms(r.latencies().max())));
        kv.put("enqueue.acked_total", Long.toString(r.okTotal()));
        kv.put("enqueue.pending_in_queue", Long.toString(stored));
        kv.put("enqueue.errors", r.errors().summary());
        kv.put("profile.enqueue", r.profile());
        kv.put("window.enqueue", profiler.lastWindow);
        kv.putAll(profiler.lastRaw);
        kv.put("cost.enqueue.tasks", Long.toString(r.okInWindow()));
        kv.put("noise.enqueue", String.format("%.0f", profiler.lastOtherCpu));
        return kv;
    }

    // ---------------------------------------------------------------------------------------------- (b) batch

    private Map<String, String> batch() throws Exception {
        int clients = intOpt("batch-clients", 8);
        int size = intOpt("batch-size", 100);
        double warmup = doubleOpt("batch-warmup", 2);
        double duration = doubleOpt("batch-duration", 10);
        String queue = "bench_batch";
        log("[" + label + "] (b) batch enqueue: " + clients + " clients, " + size + " tasks per request, " + warmup
            + " s warm-up + " + duration + " s, paused queue");
        createQueue(queue, true, 256);
        byte[] body = batchBody(size);
        byte[] head = HttpConn.head("POST", "/v1/queues/" + queue + "/tasks/batch", hostPort, body.length);
        Closed r = closedLoop("batch", clients, head, body, size, warmup, duration);
        long stored = stats(queue)[0];
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("batch.clients", Integer.toString(clients));
        kv.put("batch.size", Integer.toString(size));
        kv.put("batch.seconds", f1(duration));
        kv.put("batch.tasks_per_s", f0(r.okInWindow() * size / duration));
        kv.put("batch.requests_per_s", f1(r.okInWindow() / duration));
        kv.put("batch.p50_ms", f2(Samples.ms(r.latencies().quantile(0.50))));
        kv.put("batch.p99_ms", f2(Samples.ms(r.latencies().quantile(0.99))));
        kv.put("batch.acked_tasks_total", Long.toString(r.okTotal() * size));
        kv.put("batch.pending_in_queue", Long.toString(stored));
        kv.put("batch.errors", r.errors().summary());
        kv.put("profile.batch", r.profile());
        kv.put("window.batch", profiler.lastWindow);
        kv.putAll(profiler.lastRaw);
        kv.put("cost.batch.tasks", Long.toString(r.okInWindow() * size));
        kv.put("noise.batch", String.format("%.0f", profiler.lastOtherCpu));
        return kv;
    }

    // ---------------------------------------------------------------------------------------------- (c) drain

    /** Enqueues {@code total} tasks in batches of 100 over 8 connections; returns the errors. */
    private Errors preEnqueue(String queue, int total) throws InterruptedException {
        int size = 100;
        byte[] body = batchBody(size);
        byte[] head = HttpConn.head("POST", "/v1/queues/" + queue + "/tasks/batch", hostPort, body.length);
        AtomicInteger requests = new AtomicInteger(total / size);
        Errors errors = new Errors();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try (HttpConn conn = new HttpConn(host, port)) {
                    while (requests.getAndDecrement() > 0) {
                        try {
                            int status = conn.exchange(head, body);
                            if (status != 201) {
                                errors.http(status, conn);
                            }
                        } catch (IOException e) {
                            errors.exception(e);
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return errors;
    }

    private Map<String, String> drain() throws Exception {
        return drain("drain", "(c) drain", "http", httpHandler(), "bench_drain", "bench_drain_warmup");
    }

    /**
     * (c-topic): the drain through a {@code topic} handler publishing to a topic nobody subscribes to (an
     * in-process no-op publish), so no http delivery: Spindle's claim, dispatch and completion alone.
     */
    private Map<String, String> drainTopic() throws Exception {
        return drain("drain_topic", "(c-topic) drain", "topic",
                     "{\"type\":\"topic\",\"topic\":\"bench.nobody\"}",
                     "bench_drain_topic", "bench_drain_topic_warmup");
    }

    /**
     * A drain: {@code key} is the prefix of its figures (and its profiler window), {@code handlerType} "http"
     * (delivered to the sink, whose receipts are measured too) or another handler type (no receipts).
     */
    private Map<String, String> drain(String key, String title, String handlerType, String handler, String queue,
                                      String warm) throws Exception {
        int total = intOpt("drain-tasks", 20_000) / 100 * 100;
        int maxConcurrent = intOpt("queue-max-concurrent", 256);
        double timeout = doubleOpt("drain-timeout", 180);
        int warmupTasks = intOpt("drain-warmup-tasks", 10_000) / 100 * 100;
        boolean http = handlerType.equals("http");
        Map<String, String> kv = new LinkedHashMap<>();
        if (warmupTasks > 0) {
            // an unmeasured drain first, so the measured one runs on compiled code (the enqueue phases do not
            // exercise dispatch and delivery)
            log("[" + label + "] " + title + " warm-up: " + warmupTasks + " tasks, unmeasured");
            createQueue(warm, true, maxConcurrent, handler);
            Errors warmErrors = preEnqueue(warm, warmupTasks);
            long w0 = System.nanoTime();
            post("/v1/queues/" + warm + "/resume", 200);
            long wDeadline = w0 + (long) (Math.min(timeout, doubleOpt("drain-warmup-timeout", 30)) * 1e9);
            long[] ws = stats(warm);
            while (ws[2] + ws[3] < warmupTasks && System.nanoTime() < wDeadline) {
                Thread.sleep(50);
                ws = stats(warm);
            }
            kv.put(key + ".warmup_tasks_per_s", f0(warmupTasks / ((System.nanoTime() - w0) / 1e9)));
            kv.put(key + ".warmup_errors", warmErrors.summary());
            post("/v1/queues/" + warm + "/pause", 200);
        }
        log("[" + label + "] " + title + ": " + total + " tasks pre-enqueued into a paused " + handlerType
            + " queue (maxConcurrent " + maxConcurrent + "), then resume");
        createQueue(queue, true, maxConcurrent, handler);
        Errors enqueueErrors = preEnqueue(queue, total);
        long[] s = stats(queue);
        if (s[0] != total) {
            throw new IOException("pre-enqueue stored " + s[0] + " pending tasks, not " + total + " ("
                                  + enqueueErrors.summary() + ")");
        }
        long finishedBefore = s[2] + s[3]; // history the caller left in the queue (bench/history.sh)
        long pollMs = intOpt("drain-poll-ms", 100);
        Thread.sleep(1000); // let the enqueue settle (commits, autovacuum wake-ups)
        resetSink();
        Errors errors = new Errors();
        double claims0 = metric("spindle_dispatch_claim_batch_tasks_count", null);
        double claimed0 = metric("spindle_dispatch_claim_batch_tasks_sum", null);
        profiler.begin(key);
        long t0 = System.nanoTime();
        post("/v1/queues/" + queue + "/resume", 200);
        long deadline = t0 + (long) (timeout * 1e9);
        long done = -1;
        long polls = 0;
        while (System.nanoTime() < deadline) {
            try {
                s = stats(queue);
                polls++;
            } catch (IOException e) {
                errors.exception(e);
                Thread.sleep(100);
                continue;
            }
            long finished = s[2] + s[3] - finishedBefore;
            if (finished >= total) {
                done = System.nanoTime();
                break;
            }
            Thread.sleep(finished >= total * 0.9 ? Math.min(20, pollMs) : pollMs);
        }
        String profile = profiler.end();
        String rss = rss();
        String hwm = hwm();
        post("/v1/queues/" + queue + "/pause", 200); // out of the dispatcher's way in later phases
        double claims = metric("spindle_dispatch_claim_batch_tasks_count", null) - claims0;
        double claimed = metric("spindle_dispatch_claim_batch_tasks_sum", null) - claimed0;
        double handlerCount = metric("spindle_dispatch_duration_seconds_count", "queue=\"" + queue + "\"");
        double handlerSum = metric("spindle_dispatch_duration_seconds_sum", "queue=\"" + queue + "\"");
        Map<Long, Long> arrivals = sink.arrivals();
        Samples fromResume = new Samples();
        // (kv already holds the warm-up figures)
        long last = 0;
        long first = Long.MAX_VALUE;
        for (long t : arrivals.values()) {
            fromResume.add(t - t0);
            last = Math.max(last, t);
            first = Math.min(first, t);
        }
        kv.put(key + ".tasks", Integer.toString(total));
        kv.put(key + ".queue_max_concurrent", Integer.toString(maxConcurrent));
        if (done < 0) {
            // bounded: report the rate so far, marked
            kv.put(key + ".tasks_per_s", f0((s[2] + s[3]) / timeout));
            kv.put(key + ".timed_out", "after " + f0(timeout) + " s with " + (s[2] + s[3]) + " of " + total
                                      + " finished (the rate is over those)");
            log("    " + key + " did not finish within " + timeout + " s");
        } else {
            double seconds = (done - t0) / 1e9;
            kv.put(key + ".seconds", f2(seconds));
            kv.put(key + ".tasks_per_s", f0(total / seconds));
        }
        kv.put(key + ".succeeded", Long.toString(s[2]));
        kv.put(key + ".failed", Long.toString(s[3]));
        kv.put(key + ".pending_left", Long.toString(s[0]));
        kv.put(key + ".running_left", Long.toString(s[1]));
        if (http && externalSink != null) { // its counts only: its arrival times are another process's
            String counts = sinkControl("GET", "/_sink/counts");
            kv.put(key + ".delivered_distinct", Long.toString(jsonLong(counts, "distinct")));
            kv.put(key + ".delivered_repeats", Long.toString(jsonLong(counts, "repeats")));
            kv.put(key + ".sink_requests", Long.toString(jsonLong(counts, "requests")));
        } else if (http) { // the sink's receipts (a topic handler delivers nothing to it)
            kv.put(key + ".delivered_distinct", Integer.toString(arrivals.size()));
            kv.put(key + ".delivered_repeats", Long.toString(sink.repeats.get()));
            if (!arrivals.isEmpty()) {
                kv.put(key + ".first_delivery_ms", f1(Samples.ms(first - t0)));
                kv.put(key + ".last_delivery_ms", f1(Samples.ms(last - t0)));
                kv.put(key + ".delivery_tasks_per_s", f0(arrivals.size() / ((last - t0) / 1e9)));
            }
            kv.put(key + ".resume_to_delivery_p50_ms", f1(Samples.ms(fromResume.quantile(0.5))));
            kv.put(key + ".resume_to_delivery_p99_ms", f1(Samples.ms(fromResume.quantile(0.99))));
            kv.put(key + ".sink_connections", Long.toString(sink.connections.get()));
        } else {
            kv.put(key + ".handler", handler);
        }
        if (!Double.isNaN(claims) && claims > 0) {
            // Spindle's own meters: claim statements and tasks per claim; time in the http handler per attempt
            kv.put(key + ".claim_statements", f0(claims));
            kv.put(key + ".tasks_per_claim", f1(claimed / claims));
        }
        if (!Double.isNaN(handlerCount) && handlerCount > 0) {
            kv.put(key + ".handler_mean_ms", f2(handlerSum / handlerCount * 1000));
        }
        kv.put(key + ".stats_polls", Long.toString(polls));
        kv.put(key + ".errors", enqueueErrors.total() + errors.total() == 0 ? "none"
                : "pre-enqueue: " + enqueueErrors.summary() + "; polls: " + errors.summary());
        if (http) {
            kv.put("rss_after_drain_mb", rss);
            kv.put("rss_peak_mb", hwm);
        } else {
            kv.put(key + ".rss_after_mb", rss);
            kv.put(key + ".rss_peak_mb", hwm);
        }
        kv.put("profile." + key, profile);
        kv.put("window." + key, profiler.lastWindow);
        kv.putAll(profiler.lastRaw);
        kv.put("cost." + key + ".tasks", Long.toString(done < 0 ? s[2] + s[3] : total));
        kv.put("cost." + key + ".stats_polls", Long.toString(polls));
        kv.put("noise." + key, String.format("%.0f", profiler.lastOtherCpu));
        return kv;
    }

    // ---------------------------------------------------------------------------------------------- (c') steady

    private Map<String, String> steady() throws Exception {
        double rate = doubleOpt("steady-rate", 2000);
        double seconds = doubleOpt("steady-seconds", 10);
        double warmup = doubleOpt("steady-warmup", 1);
        int senders = intOpt("steady-senders", 128);
        int maxConcurrent = intOpt("queue-max-concurrent", 256);
        String queue = "bench_steady";
        log("[" + label + "] (c') steady state: " + f0(rate) + " enqueues/s for " + warmup + " + " + seconds
            + " s into a running http queue; enqueue-to-delivery latency");
        createQueue(queue, false, maxConcurrent);
        Thread.sleep(500);
        sink.reset();
        long total = (long) (rate * (warmup + seconds));
        long interval = (long) (1e9 / rate);
        LinkedBlockingQueue<Long> slots = new LinkedBlockingQueue<>();
        Errors errors = new Errors();
        long t0 = System.nanoTime() + 50_000_000L;
        long measureFrom = t0 + (long) (warmup * 1e9);
        List<Thread> threads = new ArrayList<>();
        LongAdder late = new LongAdder();
        byte[] body = json("{\"payload\":{\"n\":1}}");
        byte[] head = HttpConn.head("POST", "/v1/queues/" + queue + "/tasks", hostPort, body.length);
        List<Samples> acks = new ArrayList<>();
        List<List<long[]>> records = new ArrayList<>();
        for (int c = 0; c < senders; c++) {
            List<long[]> mine = new ArrayList<>();
            Samples ackSamples = new Samples();
            records.add(mine);
            acks.add(ackSamples);
            threads.add(Thread.ofVirtual().name("steady-" + c).start(() -> {
                long[] one = new long[1];
                try (HttpConn conn = new HttpConn(host, port)) {
                    while (true) {
                        Long due = slots.take();
                        if (due == Long.MIN_VALUE) {
                            return;
                        }
                        long start = System.nanoTime();
                        if (start - due > 5_000_000L) {
                            late.increment();
                        }
                        try {
                            int status = conn.exchange(head, body);
                            long ack = System.nanoTime();
                            if (status != 201) {
                                errors.http(status, conn);
                                continue;
                            }
                            if (ids(conn.body, conn.bodyLength, one) != 1) {
                                errors.add("short response", conn.bodyText());
                                continue;
                            }
                            mine.add(new long[]{one[0], start, ack});
                            if (start >= measureFrom) {
                                ackSamples.add(ack - start);
                            }
                        } catch (IOException e) {
                            errors.exception(e);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        sleepUntil(t0);
        boolean profiling = false;
        for (long i = 0; i < total; i++) {
            long due = t0 + i * interval;
            if (!profiling && due >= measureFrom) {
                profiler.begin("steady");
                profiling = true;
            }
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            slots.add(due);
        }
        long pacingEnd = System.nanoTime();
        for (int c = 0; c < senders; c++) {
            slots.add(Long.MIN_VALUE);
        }
        for (Thread t : threads) {
            t.join();
        }
        String profile = profiler.end();
        // wait for every acknowledged task to reach the sink and be recorded as succeeded
        long acked = records.stream().mapToLong(List::size).sum();
        long waitUntil = System.nanoTime() + (long) (doubleOpt("steady-drain-timeout", 15) * 1e9);
        while (sink.arrivals().size() < acked && System.nanoTime() < waitUntil) {
            Thread.sleep(20);
        }
        long[] s = stats(queue);
        while (s[2] + s[3] < acked && System.nanoTime() < waitUntil) {
            Thread.sleep(50);
            s = stats(queue);
        }
        post("/v1/queues/" + queue + "/pause", 200);
        Samples latency = new Samples();
        Samples ackAll = new Samples();
        acks.forEach(ackAll::addAll);
        long missing = 0;
        long deliveredBeforeAck = 0;
        long measured = 0;
        for (List<long[]> mine : records) {
            for (long[] r : mine) {
                if (r[1] < measureFrom) {
                    continue;
                }
                measured++;
                Long arrival = sink.arrivals().get(r[0]);
                if (arrival == null) {
                    missing++;
                    continue;
                }
                latency.add(arrival - r[1]);
                if (arrival < r[2]) {
                    deliveredBeforeAck++;
                }
            }
        }
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("steady.rate_target", f0(rate));
        kv.put("steady.seconds", f1(seconds));
        kv.put("steady.rate_achieved", f0(acked / ((pacingEnd - t0) / 1e9)));
        kv.put("steady.measured_tasks", Long.toString(measured));
        kv.put("steady.p50_ms", f2(Samples.ms(latency.quantile(0.5))));
        kv.put("steady.p99_ms", f2(Samples.ms(latency.quantile(0.99))));
        kv.put("steady.max_ms", f2(Samples.ms(latency.max())));
        kv.put("steady.ack_p50_ms", f2(Samples.ms(ackAll.quantile(0.5))));
        kv.put("steady.ack_p99_ms", f2(Samples.ms(ackAll.quantile(0.99))));
        kv.put("steady.delivered_before_ack", Long.toString(deliveredBeforeAck));
        kv.put("steady.undelivered", Long.toString(missing));
        kv.put("steady.late_sends_over_5ms", Long.toString(late.sum()));
        kv.put("steady.succeeded", Long.toString(s[2]));
        kv.put("steady.failed", Long.toString(s[3]));
        kv.put("steady.acked_total", Long.toString(acked));
        kv.put("steady.delivered_repeats", Long.toString(sink.repeats.get()));
        kv.put("steady.errors", errors.summary());
        kv.put("profile.steady", profile);
        kv.put("window.steady", profiler.lastWindow);
        kv.putAll(profiler.lastRaw);
        kv.put("noise.steady", String.format("%.0f", profiler.lastOtherCpu));
        return kv;
    }

    // ---------------------------------------------------------------------------------------------- (d) wake-up

    private Map<String, String> wakeup() throws Exception {
        int count = intOpt("wakeups", 50);
        int warm = intOpt("wakeup-warmups", 5);
        int gapMs = intOpt("wakeup-gap-ms", 100);
        int timeoutMs = intOpt("wakeup-timeout-ms", 1000);
        double settle = doubleOpt("wakeup-settle", 2);
        String queue = "bench_wakeup";
        log("[" + label + "] (d) idle wake-up: " + count + " single enqueues " + gapMs + " ms apart (after " + warm
            + " unmeasured), request start to sink receipt");
        createQueue(queue, false, 256);
        Thread.sleep((long) (settle * 1000));
        sink.reset();
        byte[] body = json("{\"payload\":{\"n\":1}}");
        byte[] head = HttpConn.head("POST", "/v1/queues/" + queue + "/tasks", hostPort, body.length);
        Errors errors = new Errors();
        List<long[]> sent = new ArrayList<>(); // id, request start, ack
        long[] one = new long[1];
        int slow = 0;
        try (HttpConn conn = new HttpConn(host, port)) {
            for (int i = 0; i < warm + count; i++) {
                Thread.sleep(gapMs);
                long start = System.nanoTime();
                int status;
                try {
                    status = conn.exchange(head, body);
                } catch (IOException e) {
                    errors.exception(e);
                    continue;
                }
                long ack = System.nanoTime();
                if (status != 201 || ids(conn.body, conn.bodyLength, one) != 1) {
                    errors.http(status, conn);
                    continue;
                }
                // wait for this delivery before the next enqueue (bounded, so a lost wake-up cannot stall the run)
                if (sink.await(one[0], timeoutMs * 1_000_000L) < 0 && i >= warm) {
                    slow++;
                }
                if (i >= warm) {
                    sent.add(new long[]{one[0], start, ack});
                }
            }
        }
        if (slow > 0) { // late deliveries still count with their real time: give them a few more seconds
            long until = System.nanoTime() + 6_000_000_000L;
            while (System.nanoTime() < until && sent.stream().anyMatch(r -> sink.arrivals().get(r[0]) == null)) {
                Thread.sleep(20);
            }
        }
        Samples total = new Samples();
        Samples acks = new Samples();
        Samples afterAck = new Samples();
        int undelivered = 0;
        int beforeAck = 0;
        for (long[] r : sent) {
            acks.add(r[2] - r[1]);
            Long arrival = sink.arrivals().get(r[0]);
            if (arrival == null) {
                undelivered++;
                continue;
            }
            total.add(arrival - r[1]);
            if (arrival < r[2]) {
                beforeAck++;
            } else {
                afterAck.add(arrival - r[2]);
            }
        }
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("wakeup.count", Integer.toString(sent.size()));
        kv.put("wakeup.median_ms", f2(Samples.ms(total.quantile(0.5))));
        kv.put("wakeup.p90_ms", f2(Samples.ms(total.quantile(0.9))));
        kv.put("wakeup.max_ms", f2(Samples.ms(total.max())));
        kv.put("wakeup.over_" + timeoutMs + "ms", Integer.toString(slow));
        kv.put("wakeup.undelivered", Integer.toString(undelivered));
        kv.put("wakeup.ack_median_ms", f2(Samples.ms(acks.quantile(0.5))));
        kv.put("wakeup.ack_max_ms", f2(Samples.ms(acks.max())));
        kv.put("wakeup.ack_to_delivery_median_ms", f2(Samples.ms(afterAck.quantile(0.5))));
        kv.put("wakeup.delivered_before_ack", Integer.toString(beforeAck));
        kv.put("wakeup.errors", errors.summary());
        return kv;
    }
}
