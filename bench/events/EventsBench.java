import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Load generator for Spindle's topic bus (issue #4). Runs with the JDK's source launcher, no dependencies:
 *
 *   java bench/events/EventsBench.java latency http://127.0.0.1:8080 [subscribers=1000] [rate=1000] [seconds=20] [warmup=5]
 *   java bench/events/EventsBench.java fanout  http://127.0.0.1:8080 [subscribers=100] [rates=2000,5000,...] [seconds=10]
 *
 * latency: opens the SSE subscribers on one topic (NIO, two selector threads reading at most every millisecond,
 *          which adds under 1 ms to the figures), publishes over HTTP at a fixed
 *          rate (each event's data carries its send time, System.nanoTime of this JVM), and reports the
 *          publish-to-receive latency percentiles over every delivery of the measured period.
 * fanout:  with the subscribers on one topic, publishes at each rate in turn (4 publisher threads, HTTP
 *          keep-alive), and reports for each whether every subscriber received every event with no `lagged`;
 *          the answer is the highest rate that passed, and its deliveries per second.
 */
public final class EventsBench {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: EventsBench latency|fanout <base-url> [key=value ...]");
            System.exit(2);
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            options.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        URI base = URI.create(args[1]);
        switch (args[0]) {
            case "latency" -> latency(base, Integer.parseInt(options.getOrDefault("subscribers", "1000")),
                                      Integer.parseInt(options.getOrDefault("rate", "1000")),
                                      Integer.parseInt(options.getOrDefault("seconds", "20")),
                                      Integer.parseInt(options.getOrDefault("warmup", "5")));
            case "fanout" -> fanout(base, Integer.parseInt(options.getOrDefault("subscribers", "100")),
                                    options.getOrDefault("rates", "1000,2000,5000,10000,20000,40000"),
                                    Integer.parseInt(options.getOrDefault("seconds", "10")));
            default -> {
                System.err.println("unknown scenario " + args[0]);
                System.exit(2);
            }
        }
    }

    // --- scenarios ----------------------------------------------------------------------------------

    static void latency(URI base, int subscribers, int rate, int seconds, int warmup) throws Exception {
        String topic = "bench-latency-" + System.currentTimeMillis();
        try (Receivers receivers = Receivers.open(base, "/v1/topics/" + topic + "/events", subscribers, 2)) {
            System.out.printf(Locale.ROOT, "latency: %d subscribers on %s, %d events/s, %d s warm-up + %d s measured%n",
                              subscribers, topic, rate, warmup, seconds);
            Publisher publisher = new Publisher(base, topic, 4);
            publisher.run(rate, Duration.ofSeconds(warmup));
            receivers.awaitQuiet(Duration.ofSeconds(5));
            receivers.resetStats();
            Publisher.Result result = publisher.run(rate, Duration.ofSeconds(seconds));
            receivers.awaitDeliveries(result.sent() * (long) subscribers, Duration.ofSeconds(30));
            Histogram latency = receivers.latency();
            System.out.printf(Locale.ROOT, "published %d events in %.1f s (%.0f/s, publish p99 %.2f ms); deliveries %d of %d; lagged drops %d%n",
                              result.sent(), result.seconds(), result.sent() / result.seconds(), result.publishP99Millis(),
                              receivers.received(), result.sent() * (long) subscribers, receivers.dropped());
            System.out.printf(Locale.ROOT, "publish-to-receive latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
                              latency.percentileMillis(50), latency.percentileMillis(90), latency.percentileMillis(99),
                              latency.percentileMillis(99.9), latency.maxMillis());
            System.out.printf(Locale.ROOT, "RESULT latency subscribers=%d rate=%d p50_ms=%.2f p99_ms=%.2f drops=%d missing=%d%n",
                              subscribers, rate, latency.percentileMillis(50), latency.percentileMillis(99), receivers.dropped(),
                              result.sent() * (long) subscribers - receivers.received() - receivers.dropped());
        }
    }

    static void fanout(URI base, int subscribers, String rates, int seconds) throws Exception {
        String topic = "bench-fanout-" + System.currentTimeMillis();
        int best = 0;
        double bestDeliveries = 0;
        try (Receivers receivers = Receivers.open(base, "/v1/topics/" + topic + "/events", subscribers, 2)) {
            System.out.printf(Locale.ROOT, "fan-out: %d subscribers on %s, %d s per rate%n", subscribers, topic, seconds);
            Publisher publisher = new Publisher(base, topic, 4);
            publisher.run(1000, Duration.ofSeconds(2)); // warm-up
            receivers.awaitQuiet(Duration.ofSeconds(5));
            for (String r : rates.split(",")) {
                int rate = Integer.parseInt(r.strip());
                receivers.resetStats();
                Publisher.Result result = publisher.run(rate, Duration.ofSeconds(seconds));
                long expected = result.sent() * (long) subscribers;
                receivers.awaitDeliveries(expected, Duration.ofSeconds(15));
                double achieved = result.sent() / result.seconds();
                boolean clean = receivers.dropped() == 0 && receivers.received() == expected && receivers.minReceived() == result.sent();
                double deliveries = receivers.received() / result.seconds();
                System.out.printf(Locale.ROOT, "rate %6d/s: published %.0f/s, deliveries %.0f/s, lagged drops %d, missing %d -> %s%n",
                                  rate, achieved, deliveries, receivers.dropped(), expected - receivers.received() - receivers.dropped(),
                                  clean ? (achieved >= 0.95 * rate ? "ok" : "ok (publisher short of the rate)") : "DROPS");
                if (!clean) {
                    break;
                }
                if (achieved > best) {
                    best = (int) achieved;
                    bestDeliveries = deliveries;
                }
                if (achieved < 0.95 * rate) {
                    break;
                }
            }
        }
        System.out.printf(Locale.ROOT, "RESULT fanout subscribers=%d max_events_per_s=%d deliveries_per_s=%.0f%n", subscribers, best, bestDeliveries);
    }

    // --- publishing over HTTP ----------------------------------------------------------------------

    static final class Publisher {
        record Result(long sent, double seconds, double publishP99Millis) {
        }

        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private final URI uri;
        private final int threads;

        Publisher(URI base, String topic, int threads) {
            this.uri = base.resolve("/v1/topics/" + topic + "/events");
            this.threads = threads;
        }

        /** Publishes at {@code rate} events/s for {@code duration}, split over the threads, each paced. */
        Result run(int rate, Duration duration) throws InterruptedException {
            AtomicLong sent = new AtomicLong();
            Histogram publish = new Histogram();
            List<Histogram> perThread = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(threads);
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            double interval = 1e9 * threads / rate;
            for (int t = 0; t < threads; t++) {
                Histogram mine = new Histogram();
                perThread.add(mine);
                long offset = (long) (interval * t / threads);
                Thread.ofPlatform().start(() -> {
                    try {
                        for (long i = 0; ; i++) {
                            long due = start + offset + (long) (i * interval);
                            if (due >= end) {
                                break;
                            }
                            long wait = due - System.nanoTime();
                            if (wait > 0) {
                                LockSupport.parkNanos(wait);
                            }
                            long sentAt = System.nanoTime();
                            String body = "{\"type\":\"tick\",\"data\":{\"t\":" + sentAt + "}}";
                            HttpResponse<Void> response = client.send(
                                    HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                    HttpResponse.BodyHandlers.discarding());
                            mine.record(System.nanoTime() - sentAt);
                            if (response.statusCode() != 202) {
                                System.err.println("publish answered " + response.statusCode());
                            } else {
                                sent.incrementAndGet();
                            }
                        }
                    } catch (IOException | InterruptedException e) {
                        System.err.println("publisher failed: " + e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            done.await();
            double seconds = (System.nanoTime() - start) / 1e9;
            perThread.forEach(publish::add);
            return new Result(sent.get(), seconds, publish.percentileMillis(99));
        }
    }

    // --- receiving SSE over NIO ----------------------------------------------------------------------

    static final class Receivers implements AutoCloseable {
        private final List<Loop> loops = new ArrayList<>();

        static Receivers open(URI base, String path, int count, int threads) throws IOException, InterruptedException {
            Receivers receivers = new Receivers();
            for (int t = 0; t < threads; t++) {
                receivers.loops.add(new Loop());
            }
            InetSocketAddress address = new InetSocketAddress(base.getHost(), base.getPort());
            byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < count; i++) {
                SocketChannel channel = SocketChannel.open(address);
                channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                channel.write(ByteBuffer.wrap(request));
                channel.configureBlocking(false);
                receivers.loops.get(i % threads).add(channel);
            }
            receivers.loops.forEach(Loop::start);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (receivers.subscribed() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + receivers.subscribed() + " of " + count + " subscribed");
                }
                Thread.sleep(10);
            }
            return receivers;
        }

        long subscribed() {
            return loops.stream().mapToLong(l -> l.subscribed.get()).sum();
        }

        long received() {
            return loops.stream().mapToLong(l -> l.received.get()).sum();
        }

        long dropped() {
            return loops.stream().mapToLong(l -> l.dropped.get()).sum();
        }

        long minReceived() {
            return loops.stream().flatMap(l -> l.connections.stream()).mapToLong(c -> c.received).min().orElse(0);
        }

        void resetStats() {
            loops.forEach(Loop::reset);
        }

        Histogram latency() {
            Histogram all = new Histogram();
            loops.forEach(l -> all.add(l.latency));
            return all;
        }

        void awaitDeliveries(long expected, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (received() + dropped() < expected && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            awaitQuiet(Duration.ofMillis(300));
        }

        void awaitQuiet(Duration quiet) throws InterruptedException {
            long last = -1;
            while (received() != last) {
                last = received();
                Thread.sleep(quiet.toMillis());
            }
        }

        @Override
        public void close() {
            loops.forEach(Loop::close);
        }
    }

    /** One selector thread and its connections. */
    static final class Loop {
        static final class Connection {
            final SocketChannel channel;
            final byte[] line = new byte[256 * 1024];
            int length;
            boolean lagged;
            boolean subscribed;
            volatile long received;

            Connection(SocketChannel channel) {
                this.channel = channel;
            }
        }

        final List<Connection> connections = new ArrayList<>();
        final AtomicLong subscribed = new AtomicLong();
        final AtomicLong received = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();
        volatile Histogram latency = new Histogram();
        private final Selector selector;
        private volatile boolean closed;
        private Thread thread;

        Loop() throws IOException {
            selector = Selector.open();
        }

        void add(SocketChannel channel) throws IOException {
            Connection connection = new Connection(channel);
            connections.add(connection);
            channel.register(selector, SelectionKey.OP_READ, connection);
        }

        void start() {
            thread = Thread.ofPlatform().name("receiver").daemon(true).start(this::run);
        }

        void reset() {
            received.set(0);
            dropped.set(0);
            connections.forEach(c -> c.received = 0);
            latency = new Histogram();
        }

        void close() {
            closed = true;
            selector.wakeup();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Connection c : connections) {
                try {
                    c.channel.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }

        private void run() {
            ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
            byte[] bytes = new byte[buffer.capacity()];
            try {
                while (!closed) {
                    // reading at most every millisecond lets data gather, so one read takes many events: the load
                    // generator shares the CPUs with Spindle and must cost little; it adds under 1 ms to what it measures
                    LockSupport.parkNanos(1_000_000);
                    selector.select(100);
                    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        Connection c = (Connection) key.attachment();
                        buffer.clear();
                        int n = c.channel.read(buffer);
                        if (n < 0) {
                            key.cancel();
                            continue;
                        }
                        buffer.flip();
                        buffer.get(bytes, 0, n);
                        long now = System.nanoTime();
                        for (int i = 0; i < n; i++) {
                            byte b = bytes[i];
                            if (b == '\n') {
                                line(c, now);
                                c.length = 0;
                            } else if (c.length < c.line.length) {
                                c.line[c.length++] = b;
                            }
                        }
                    }
                }
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("receiver failed: " + e);
                }
            }
        }

        private void line(Connection c, long now) {
            byte[] l = c.line;
            int n = c.length;
            if (n > 6 && l[0] == 'd' && l[1] == 'a' && l[2] == 't' && l[3] == 'a' && l[4] == ':') {
                if (c.lagged) {
                    c.lagged = false;
                    dropped.addAndGet(number(l, n, "\"dropped\":"));
                    return;
                }
                // the benchmark's own events are exactly `data: {"t":<digits>}`: read the digits in place
                long t = n > 12 && l[6] == '{' && l[7] == '"' && l[8] == 't' && l[9] == '"' && l[10] == ':'
                        ? digits(l, 11, n) : number(l, n, "\"t\":");
                if (t != Long.MIN_VALUE) {
                    c.received++;
                    received.incrementAndGet();
                    latency.record(now - t);
                }
            } else if (n > 7 && l[0] == 'e' && l[1] == 'v' && l[2] == 'e' && l[3] == 'n' && l[4] == 't' && l[5] == ':') {
                c.lagged = n >= 13 && new String(l, 7, n - 7, StandardCharsets.US_ASCII).startsWith("lagged");
            } else if (n > 0 && l[0] == ':' && !c.subscribed) {
                c.subscribed = true;
                subscribed.incrementAndGet();
            }
        }

        private static long digits(byte[] l, int from, int n) {
            long value = 0;
            int p = from;
            while (p < n && l[p] >= '0' && l[p] <= '9') {
                value = value * 10 + (l[p++] - '0');
            }
            return p > from ? value : Long.MIN_VALUE;
        }

        private static long number(byte[] l, int n, String key) {
            byte[] k = key.getBytes(StandardCharsets.US_ASCII);
            outer:
            for (int i = 0; i + k.length < n; i++) {
                for (int j = 0; j < k.length; j++) {
                    if (l[i + j] != k[j]) {
                        continue outer;
                    }
                }
                long value = 0;
                int p = i + k.length;
                boolean any = false;
                while (p < n && l[p] >= '0' && l[p] <= '9') {
                    value = value * 10 + (l[p++] - '0');
                    any = true;
                }
                return any ? value : Long.MIN_VALUE;
            }
            return Long.MIN_VALUE;
        }
    }

    // --- a latency histogram: 10 µs buckets up to 1 s, then 1 ms buckets up to 60 s ------------------

    static final class Histogram {
        private static final int FINE = 100_000;
        private final long[] counts = new long[FINE + 60_000];
        private long total;
        private long max;

        void record(long nanos) {
            long micros = Math.max(0, nanos / 1000);
            int bucket = micros < FINE * 10L ? (int) (micros / 10) : (int) Math.min(counts.length - 1, FINE + (micros - FINE * 10L) / 1000);
            counts[bucket]++;
            total++;
            max = Math.max(max, nanos);
        }

        void add(Histogram other) {
            for (int i = 0; i < counts.length; i++) {
                counts[i] += other.counts[i];
            }
            total += other.total;
            max = Math.max(max, other.max);
        }

        double percentileMillis(double p) {
            if (total == 0) {
                return Double.NaN;
            }
            long rank = (long) Math.ceil(p / 100.0 * total);
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i];
                if (seen >= rank) {
                    return i < FINE ? (i + 1) * 10 / 1000.0 : (FINE * 10L + (i - FINE + 1) * 1000L) / 1000.0;
                }
            }
            return maxMillis();
        }

        double maxMillis() {
            return max / 1e6;
        }
    }
}
