package io.spindle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.spindle.testing.ChildProcess;
import io.spindle.testing.Exposition;
import io.spindle.testing.TestDatabase;
import org.junit.jupiter.api.Test;

/**
 * The packaged service with 1,024 file descriptors against floods of requests whose headers never end: from one
 * address, more connections than the descriptor limit; then from ten addresses, more than the connection bound.
 * Another client (127.0.0.2) is served throughout the first, every flood connection is closed (at once over a
 * bound, with 408 at the header timeout under it), the listener survives both, and the metrics count it all.
 */
class ConnectionFloodIT {
    private static final int DESCRIPTORS = 1024;
    private static final int FLOOD = 1500;
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration SLACK = Duration.ofSeconds(4);
    private static final byte[] NEVER_FINISHED = "GET /v1/queues HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern BOUND = Pattern.compile("HTTP connections: at most (\\d+)");

    /** How a flood connection ended, as its client saw it. */
    private enum End { ANSWERED_408, CLOSED, STILL_OPEN }

    @Test
    void floodsOfNeverFinishedRequestsNeitherStarveOthersNorKillTheListener() throws Exception {
        try (TestDatabase.Fresh db = TestDatabase.fresh()) {
            int port = ChildProcess.freePort();
            Path workDir = Files.createTempDirectory("spindle-flood");
            try (ChildProcess child = ChildProcess.launchUnder(
                    List.of("prlimit", "--nofile=" + DESCRIPTORS + ":" + DESCRIPTORS), workDir, Map.of(
                            "DB_URL", db.jdbcUrl(), "DB_USERNAME", db.username(), "DB_PASSWORD", db.password(),
                            "SERVER_PORT", Integer.toString(port),
                            "SERVER_CONNECTIONS_HEADER_dash_TIMEOUT", HEADER_TIMEOUT.toString()),
                    List.of("-Xmx256m"))) {
                child.awaitReady(port, Duration.ofSeconds(30));
                int bound = bound(child);
                System.out.println("connection bound at " + DESCRIPTORS + " descriptors: " + bound);
                assertThat(bound).isLessThan(DESCRIPTORS);
                HttpClient other = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2"))
                        .connectTimeout(Duration.ofSeconds(2)).build();

                // one address, more connections than the process has descriptors
                List<Long> healthMillis = Collections.synchronizedList(new ArrayList<>());
                List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
                AtomicBoolean flooding = new AtomicBoolean(true);
                Thread measuring = Thread.ofVirtual().start(() -> {
                    while (flooding.get()) {
                        long start = System.nanoTime();
                        statuses.add(status(other, port, "/observe/health/ready"));
                        healthMillis.add((System.nanoTime() - start) / 1_000_000);
                        statuses.add(status(other, port, "/v1/queues"));
                    }
                });
                Map<End, LongAdder> ends = flood(port, List.of(InetAddress.getByName("127.0.0.1")), FLOOD);
                flooding.set(false);
                measuring.join();
                System.out.printf("flood of %d from one address: %s; health during it: %d requests, p50 %d ms, "
                                  + "p99 %d ms, max %d ms%n", FLOOD, ends, healthMillis.size(),
                                  percentile(healthMillis, 50), percentile(healthMillis, 99), percentile(healthMillis, 100));
                assertThat(statuses).as("another address is served during the flood").isNotEmpty().containsOnly(200);
                assertThat(count(ends, End.STILL_OPEN)).as("every flood connection is closed").isZero();
                assertThat(count(ends, End.ANSWERED_408)).as("those admitted get 408 at the header timeout").isPositive();
                assertThat(count(ends, End.CLOSED)).as("those over the per-client bound are closed at once").isPositive();
                assertThat(status(other, port, "/v1/queues")).isEqualTo(200);
                assertThat(status(HttpClient.newHttpClient(), port, "/observe/health/ready"))
                        .as("the flooding address itself is served again").isEqualTo(200);

                // ten addresses, more connections than the bound
                List<InetAddress> many = new ArrayList<>();
                for (int i = 10; i < 20; i++) {
                    many.add(InetAddress.getByName("127.0.0." + i));
                }
                Map<End, LongAdder> manyEnds = flood(port, many, 200);
                System.out.printf("flood of %d from ten addresses: %s%n", 200 * many.size(), manyEnds);
                assertThat(count(manyEnds, End.STILL_OPEN)).isZero();
                await().atMost(SLACK).untilAsserted(() -> assertThat(status(other, port, "/observe/health/ready"))
                        .as("the listener survived").isEqualTo(200));

                String metrics = body(other, port, "/observe/metrics");
                System.out.println("refused: limit " + Exposition.sum(metrics, "spindle_connections_refused_total", "reason", "limit")
                        + ", per-client " + Exposition.sum(metrics, "spindle_connections_refused_total", "reason", "per-client")
                        + "; reaped: header-timeout "
                        + Exposition.sum(metrics, "spindle_connections_reaped_total", "reason", "header-timeout"));
                // each connection of the one-address flood was refused or cut; on a slow machine the flood outlasts
                // the header timeout, so cut connections free slots and later ones are admitted rather than refused
                double perClient = Exposition.sum(metrics, "spindle_connections_refused_total", "reason", "per-client");
                assertThat(perClient).isPositive();
                assertThat(perClient + Exposition.sum(metrics, "spindle_connections_reaped_total", "reason", "header-timeout"))
                        .isGreaterThanOrEqualTo(FLOOD);
                assertThat(Exposition.sum(metrics, "spindle_connections_refused_total", "reason", "limit")).isPositive();
                assertThat(Exposition.sum(metrics, "spindle_connections_reaped_total", "reason", "header-timeout"))
                        .isGreaterThanOrEqualTo(256);
                assertThat(Exposition.first(metrics, "spindle_connections_max")).contains((double) bound);
                assertThat(child.output()).doesNotContain("socket is terminating now").doesNotContain("Too many open files");
            }
        }
    }

    /** Opens {@code perAddress} never-finished requests from each address, then sees how each ends. */
    private static Map<End, LongAdder> flood(int port, List<InetAddress> addresses, int perAddress) throws Exception {
        Map<End, LongAdder> ends = new ConcurrentHashMap<>();
        List<Socket> sockets = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> opened = new ArrayList<>();
            for (InetAddress address : addresses) {
                opened.add(threads.submit(() -> {
                    for (int i = 0; i < perAddress; i++) {
                        Socket socket = new Socket();
                        sockets.add(socket);
                        try {
                            socket.bind(new InetSocketAddress(address, 0));
                            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                            socket.setSoTimeout((int) HEADER_TIMEOUT.plus(SLACK).toMillis());
                            socket.getOutputStream().write(NEVER_FINISHED);
                        } catch (IOException e) {
                            // closed by the server before the write: the end is read below
                        }
                        threads.submit(() -> end(ends, socket));
                    }
                    return null;
                }));
            }
            for (Future<?> f : opened) {
                f.get();
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        return ends;
    }

    private static void end(Map<End, LongAdder> ends, Socket socket) {
        End end;
        try {
            InputStream in = socket.getInputStream();
            byte[] head = in.readNBytes(12);
            end = new String(head, StandardCharsets.US_ASCII).equals("HTTP/1.1 408") ? End.ANSWERED_408 : End.CLOSED;
        } catch (SocketTimeoutException e) {
            end = End.STILL_OPEN;
        } catch (SocketException e) {
            end = End.CLOSED; // reset, or never connected
        } catch (IOException e) {
            end = End.CLOSED;
        }
        ends.computeIfAbsent(end, k -> new LongAdder()).increment();
    }

    private static long count(Map<End, LongAdder> ends, End end) {
        LongAdder n = ends.get(end);
        return n == null ? 0 : n.sum();
    }

    private static int bound(ChildProcess child) {
        for (String line : child.lines()) {
            Matcher m = BOUND.matcher(line);
            if (m.find()) {
                System.out.println(line);
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("no connection bound logged:\n" + child.output());
    }

    private static int status(HttpClient client, int port, String path) {
        try {
            return client.send(request(port, path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String body(HttpClient client, int port, String path) throws Exception {
        return client.send(request(port, path), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static HttpRequest request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build();
    }

    private static long percentile(List<Long> values, int percent) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return -1;
        }
        int index = Math.min(sorted.size() - 1, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1);
        return sorted.get(Math.max(0, index));
    }
}
