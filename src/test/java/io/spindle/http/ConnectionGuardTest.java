package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.spindle.config.Settings;
import io.spindle.testing.Exposition;
import io.spindle.testing.KeepAliveConnection;
import io.spindle.testing.RawHttp;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The time limits of the connection guard on a real server: slow headers and a slow body get 408 and are closed,
 * quietly (no error logged for the cut), a body at the minimum rate is served, idle kept-alive connections are closed, an event stream outlives the idle
 * timeout; the metrics count each. (The per-address bound: {@link ConnectionBoundTest}.)
 */
class ConnectionGuardTest {
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(1);
    static final Duration SLACK = Duration.ofSeconds(3);
    private static final InetAddress OTHER = address("127.0.0.2");
    static final String PARTIAL_REQUEST = "GET /v1/queues HTTP/1.1\r\nHost: x\r\n";

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(settings -> SettingsChange.of(settings).connections(
                new Settings.Connections(0, 256, HEADER_TIMEOUT, 1024, IDLE_TIMEOUT)).build());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void headersThatDoNotArriveInTimeGet408AndTheConnectionIsClosed() {
        double before = metric(server, "spindle_connections_reaped_total", "reason", "header-timeout");
        long start = System.nanoTime();

        RawHttp.Response response = RawHttp.exchange(server.port(), bytes(PARTIAL_REQUEST), false,
                                                     HEADER_TIMEOUT.plus(SLACK));

        Duration lived = Duration.ofNanos(System.nanoTime() - start);
        assertThat(response.status()).isEqualTo(408);
        assertThat(response.header("connection")).contains("close");
        assertThat(response.header("content-type")).contains("application/problem+json");
        assertThat(response.body()).contains("\"status\":408");
        assertThat(lived).isGreaterThanOrEqualTo(HEADER_TIMEOUT).isLessThan(HEADER_TIMEOUT.plus(SLACK));
        await().atMost(SLACK).untilAsserted(() -> assertThat(
                metric(server, "spindle_connections_reaped_total", "reason", "header-timeout")).isGreaterThan(before));
    }

    @Test
    void aBodySlowerThanTheMinimumRateGets408() {
        double before = metric(server, "spindle_connections_reaped_total", "reason", "slow-body");
        String head = "POST /v1/queues/default/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000\r\n\r\n{\"payload\": \"";

        List<LogRecord> warnings = new CopyOnWriteArrayList<>();
        Logger helidonErrors = Logger.getLogger("io.helidon.webserver.http.ErrorHandlers");
        Handler recorder = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        helidonErrors.addHandler(recorder);
        try {
            RawHttp.Response response = RawHttp.exchange(server.port(), bytes(head), false, HEADER_TIMEOUT.plus(SLACK));

            assertThat(response.status()).isEqualTo(408);
            assertThat(response.header("connection")).contains("close");
            await().atMost(SLACK).untilAsserted(() -> assertThat(
                    metric(server, "spindle_connections_reaped_total", "reason", "slow-body")).isGreaterThan(before));
            // the request's own thread then fails to read the rest of the body: a cut the guard answered, not an
            // error for the log
            await().during(Duration.ofMillis(500)).atMost(SLACK).until(warnings::isEmpty);
        } finally {
            helidonErrors.removeHandler(recorder);
        }
    }

    @Test
    void aBodyThatKeepsTheMinimumRateIsServedThoughItTakesLongerThanTheHeaderTimeout() throws Exception {
        String payload = "x".repeat(3000);
        byte[] body = bytes("{\"payload\": \"" + payload + "\"}");
        try (Socket socket = connect(null)) {
            OutputStream out = socket.getOutputStream();
            out.write(bytes("POST /v1/queues/default/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n"));
            long start = System.nanoTime();
            // 500 bytes every 200 ms: 2,500 bytes/s, over twice the minimum, for longer than the header timeout
            for (int offset = 0; offset < body.length; offset += 500) {
                out.write(body, offset, Math.min(500, body.length - offset));
                out.flush();
                Thread.sleep(200); // the pace of a slow client, not a wait for the server
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(HEADER_TIMEOUT);
            String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(status).isIn("HTTP/1.1 201", "HTTP/1.1 202");
        }
    }

    @Test
    void idleKeptAliveConnectionsAreClosedAfterTheIdleTimeout() throws Exception {
        double before = metric(server, "spindle_connections_reaped_total", "reason", "idle");
        List<KeepAliveConnection> connections = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                KeepAliveConnection connection = KeepAliveConnection.open(server.port(), IDLE_TIMEOUT.plus(SLACK));
                assertThat(connection.send("GET", "/v1/queues", null).status()).isEqualTo(200);
                connections.add(connection);
            }
            long start = System.nanoTime();
            for (KeepAliveConnection connection : connections) {
                assertThat(connection.awaitClosedByServer()).as("closed by the server").isTrue();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(IDLE_TIMEOUT.plus(SLACK));
        } finally {
            for (KeepAliveConnection connection : connections) {
                connection.close();
            }
        }
        await().atMost(SLACK).untilAsserted(() -> assertThat(
                metric(server, "spindle_connections_reaped_total", "reason", "idle")).isGreaterThanOrEqualTo(before + 20));
    }

    @Test
    void anEventStreamOutlivesTheIdleTimeout() throws Exception {
        try (Socket socket = connect(null)) {
            socket.getOutputStream().write(bytes("GET /v1/topics/guarded/events HTTP/1.1\r\nHost: x\r\n"
                                                         + "Accept: text/event-stream\r\n\r\n"));
            InputStream in = socket.getInputStream();
            assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            socket.setSoTimeout(100);
            Duration past = IDLE_TIMEOUT.multipliedBy(3);
            await().during(past).atMost(past.plus(SLACK)).pollInterval(Duration.ofMillis(100))
                    .until(() -> stillOpen(in));
        }
    }

    static boolean stillOpen(InputStream in) throws IOException {
        try {
            return in.read() != -1;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    static int readOrReset(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (java.net.SocketException e) {
            return -1;
        }
    }

    private static Socket connect(InetAddress from) throws IOException {
        return connect(from, server.port());
    }

    static Socket connect(InetAddress from, int port) throws IOException {
        Socket socket = new Socket();
        if (from != null) {
            socket.bind(new InetSocketAddress(from, 0));
        }
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout((int) SLACK.plusSeconds(5).toMillis());
        return socket;
    }

    /** Metrics read from another loopback address, so that no bound on the test's own address refuses them. */
    static double metric(TestServer target, String name, String... labels) {
        return Exposition.sum(get(target, "/observe/metrics").body(), name, labels);
    }

    static HttpResponse<String> get(TestServer target, String path) {
        HttpClient client = HttpClient.newBuilder().localAddress(OTHER).connectTimeout(Duration.ofSeconds(5)).build();
        try (client) {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + path))
                                       .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
