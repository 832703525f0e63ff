import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;

/**
 * The soak of bench/soak.sh (JDK source launcher, no dependencies): a steady rate of single enqueues into an
 * http queue with {@code retention: PT1M} that delivers to a no-op sink in this process, SSE subscribers on the
 * queue's task events and on a topic with some traffic of its own, and every 10 s a sample of Spindle's RSS, open
 * FDs, threads and heap after a GC, and of the tasks table's sizes. At the end: the samples, the growth over the
 * second half, and whether every enqueued task was delivered exactly once.
 *
 * <pre>java Soak.java BASE_URL SPINDLE_PID DATABASE PSQL OUT_DIR minutes=10 rate=1000 task-subscribers=2
 *      topic-subscribers=3 topic-rate=100</pre>
 */
public final class Soak {
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);
    private static final int SENDERS = 128;
    private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total[^\\n]*? used (\\d+)K");

    private final String base;
    private final long pid;
    private final String db;
    private final String psql;
    private final Path out;
    private final Map<String, String> opts;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final LongAdder enqueued = new LongAdder();
    private final LongAdder enqueueErrors = new LongAdder();
    private final LongAdder published = new LongAdder();
    private final LongAdder publishErrors = new LongAdder();
    private final LongAdder sseEvents = new LongAdder();
    private final LongAdder sseEnded = new LongAdder();
    private final Map<String, Integer> deliveries = new ConcurrentHashMap<>();
    private final AtomicLong repeats = new AtomicLong();
    private volatile boolean stopping;

    private Soak(String[] args) {
        base = args[0];
        pid = Long.parseLong(args[1]);
        db = args[2];
        psql = args[3];
        out = Path.of(args[4]);
        opts = new ConcurrentHashMap<>();
        for (int i = 5; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            opts.put(kv[0], kv[1]);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: java Soak.java BASE_URL SPINDLE_PID DATABASE PSQL OUT_DIR [key=value ...]");
            System.exit(2);
        }
        new Soak(args).run();
    }

    private double opt(String key, double fallback) {
        return Double.parseDouble(opts.getOrDefault(key, Double.toString(fallback)));
    }

    /** One sample: seconds since the start and the figures. */
    record Sample(long second, long rssKb, long fds, long threads, long heapAfterGcKb, long tableBytes,
                  long heapBytes, long indexBytes, long live, long dead, long enqueued, long delivered) {
    }

    private void run() throws Exception {
        double minutes = opt("minutes", 10);
        double rate = opt("rate", 1000);
        HttpServer sink = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        sink.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        sink.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                String id = exchange.getRequestHeaders().getFirst("Spindle-Task-Id");
                body.readAllBytes();
                if (id != null && deliveries.merge(id, 1, Integer::sum) > 1) {
                    repeats.incrementAndGet();
                }
            }
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        sink.start();
        String queue = "soak";
        HttpResponse<String> put = send(HttpRequest.newBuilder(URI.create(base + "/v1/queues/" + queue))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("""
                        {"handler": {"type": "http", "backends": ["http://127.0.0.1:%d"]}, "maxConcurrent": 64,
                         "retention": "PT1M"}""".formatted(sink.getAddress().getPort()))));
        if (put.statusCode() / 100 != 2) {
            throw new IllegalStateException("PUT queue answered " + put.statusCode() + ": " + put.body());
        }
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < (int) opt("task-subscribers", 2); i++) {
            threads.add(subscriber("tasks." + queue, i));
        }
        for (int i = 0; i < (int) opt("topic-subscribers", 3); i++) {
            threads.add(subscriber("soak.chat", i));
        }
        long start = System.nanoTime();
        long end = start + (long) (minutes * 60e9);
        for (int s = 0; s < SENDERS; s++) {
            int sender = s;
            threads.add(Thread.ofVirtual().name("enqueue-" + s).start(() -> paced(rate / SENDERS, sender, end,
                    () -> post("/v1/queues/" + queue + "/tasks", "{\"payload\": {\"soak\": true}}", enqueued, enqueueErrors))));
        }
        double topicRate = opt("topic-rate", 100);
        threads.add(Thread.ofVirtual().name("publisher").start(() -> paced(topicRate, 0, end,
                () -> post("/v1/topics/soak.chat/events", "{\"type\": \"chat\", \"data\": {\"text\": \"hello\"}}",
                           published, publishErrors))));

        List<Sample> samples = new ArrayList<>();
        System.err.printf(Locale.ROOT, "soak: %.0f tasks/s for %.1f min, samples every %d s%n", rate, minutes,
                          SAMPLE_EVERY.toSeconds());
        for (long next = start; next <= end; next += SAMPLE_EVERY.toNanos()) {
            sleepUntil(next);
            Sample sample = sample((System.nanoTime() - start) / 1_000_000_000L);
            samples.add(sample);
            System.err.printf(Locale.ROOT, "  %4d s  rss %6.1f MB  fds %4d  threads %3d  heap %6.1f MB  tasks %6.1f MB "
                              + "(heap %5.1f, idx %5.1f)  live %7d dead %7d  enqueued %8d delivered %8d%n",
                              sample.second(), sample.rssKb() / 1024.0, sample.fds(), sample.threads(),
                              sample.heapAfterGcKb() / 1024.0, mb(sample.tableBytes()), mb(sample.heapBytes()),
                              mb(sample.indexBytes()), sample.live(), sample.dead(), sample.enqueued(),
                              sample.delivered());
        }
        stopping = true;
        long settle = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (deliveries.size() < enqueued.sum() && System.nanoTime() < settle) {
            Thread.sleep(100);
        }
        report(samples);
        sink.stop(0);
        System.exit(0);
    }

    private Thread subscriber(String topic, int n) {
        return Thread.ofVirtual().name("sse-" + topic + "-" + n).start(() -> {
            try {
                HttpResponse<InputStream> response = client.send(
                        HttpRequest.newBuilder(URI.create(base + "/v1/topics/" + topic + "/events"))
                                .header("Accept", "text/event-stream").build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                    String line;
                    while (!stopping && (line = lines.readLine()) != null) {
                        if (line.startsWith("data:")) {
                            sseEvents.increment();
                        }
                    }
                }
            } catch (IOException | InterruptedException e) {
                // counted below
            }
            if (!stopping) {
                sseEnded.increment();
            }
        });
    }

    /** Calls {@code action} at {@code rate} per second on an absolute schedule until {@code end}. */
    private void paced(double rate, int offset, long end, Runnable action) {
        long interval = (long) (1e9 / rate);
        long next = System.nanoTime() + interval * offset / SENDERS;
        while (next < end) {
            try {
                sleepUntil(next);
            } catch (InterruptedException e) {
                return;
            }
            action.run();
            next += interval;
        }
    }

    private void post(String path, String json, LongAdder ok, LongAdder failed) {
        try {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
            (r.statusCode() / 100 == 2 ? ok : failed).increment();
        } catch (RuntimeException e) {
            failed.increment();
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Sample sample(long second) throws Exception {
        Map<String, Long> status = procStatus();
        long fds;
        try (var list = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = list.count();
        }
        String[] table = command(psql, "-X", "-At", "-F", " ", "-d", db, "-c", """
                SELECT pg_total_relation_size('tasks'), pg_relation_size('tasks'), pg_indexes_size('tasks'),
                       n_live_tup, n_dead_tup FROM pg_stat_user_tables WHERE relname = 'tasks'""").trim().split(" ");
        return new Sample(second, status.get("VmRSS"), fds, status.get("Threads"), heapAfterGc(),
                          Long.parseLong(table[0]), Long.parseLong(table[1]), Long.parseLong(table[2]),
                          Long.parseLong(table[3]), Long.parseLong(table[4]), enqueued.sum(), deliveries.size());
    }

    private Map<String, Long> procStatus() throws IOException {
        Map<String, Long> values = new ConcurrentHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            String[] parts = line.split(":\\s+");
            if (parts.length == 2 && (parts[0].equals("VmRSS") || parts[0].equals("Threads"))) {
                values.put(parts[0], Long.parseLong(parts[1].replace(" kB", "").trim()));
            }
        }
        return values;
    }

    /** A full GC, then the heap in use: what the application holds, not what it has yet to collect. */
    private long heapAfterGc() throws Exception {
        Path commands = Files.createTempFile("soak-jcmd", ".txt");
        try {
            Files.writeString(commands, "GC.run\nGC.heap_info\n");
            Matcher m = HEAP_USED.matcher(command("jcmd", Long.toString(pid), "-f", commands.toString()));
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } finally {
            Files.deleteIfExists(commands);
        }
    }

    private static String command(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    private void report(List<Sample> samples) throws IOException {
        int n = samples.size();
        Sample last = samples.getLast();
        StringBuilder table = new StringBuilder();
        table.append("| figure | at half time | at the end | growth over the second half | target |\n");
        table.append("|---|---|---|---|---|\n");
        // RSS, FDs and threads wobble: the mean of three samples around each point
        row(table, "Spindle RSS (MB)", mean(samples, n / 2, s -> s.rssKb() / 1024.0), mean(samples, n - 2, s -> s.rssKb() / 1024.0), "< 5 %");
        row(table, "open FDs", mean(samples, n / 2, Sample::fds), mean(samples, n - 2, Sample::fds), "< 5 %");
        row(table, "threads", mean(samples, n / 2, Sample::threads), mean(samples, n - 2, Sample::threads), "< 5 %");
        row(table, "heap after GC (MB)", mean(samples, n / 2, s -> s.heapAfterGcKb() / 1024.0),
            mean(samples, n - 2, s -> s.heapAfterGcKb() / 1024.0), "—");
        Sample half = samples.get(n / 2);
        row(table, "tasks, total (MB)", mb(half.tableBytes()), mb(last.tableBytes()), "< 10 %");
        row(table, "tasks, heap (MB)", mb(half.heapBytes()), mb(last.heapBytes()), "—");
        row(table, "tasks, indexes (MB)", mb(half.indexBytes()), mb(last.indexBytes()), "—");
        double seconds = last.second() - samples.getFirst().second();
        String summary = String.format(Locale.ROOT, """
                enqueued %d (%.0f/s, %d errors), delivered %d distinct, %d repeated deliveries, %d not delivered
                within 30 s of the end; topic events published %d (%d errors); SSE data lines received %d, streams that
                ended early %d; live/dead rows of tasks at the end %d/%d
                """, enqueued.sum(), enqueued.sum() / Math.max(1, seconds), enqueueErrors.sum(), deliveries.size(),
                repeats.get(), enqueued.sum() - deliveries.size(), published.sum(), publishErrors.sum(), sseEvents.sum(),
                sseEnded.sum(), last.live(), last.dead());
        StringBuilder csv = new StringBuilder("second,rss_kb,fds,threads,heap_after_gc_kb,tasks_total_bytes,"
                                              + "tasks_heap_bytes,tasks_index_bytes,live,dead,enqueued,delivered\n");
        for (Sample s : samples) {
            csv.append(String.format(Locale.ROOT, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d%n", s.second(), s.rssKb(), s.fds(),
                    s.threads(), s.heapAfterGcKb(), s.tableBytes(), s.heapBytes(), s.indexBytes(), s.live(), s.dead(),
                    s.enqueued(), s.delivered()));
        }
        Files.writeString(out.resolve("samples.csv"), csv);
        Files.writeString(out.resolve("table.md"), table + "\n" + summary);
        System.out.println(table);
        System.out.println(summary);
    }

    private static double mean(List<Sample> samples, int at, java.util.function.ToDoubleFunction<Sample> f) {
        int from = Math.max(0, at - 1);
        int to = Math.min(samples.size(), at + 2);
        return samples.subList(from, to).stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private static void row(StringBuilder table, String name, double half, double end, String target) {
        table.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %+.1f %% | %s |%n", name, half, end,
                                   (end - half) * 100 / half, target));
    }

    private static double mb(long bytes) {
        return bytes / 1048576.0;
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long wait = nanos - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(Duration.ofNanos(wait));
        }
    }
}
