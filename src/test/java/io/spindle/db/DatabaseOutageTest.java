package io.spindle.db;

import static io.spindle.testing.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.config.Settings;
import io.spindle.testing.Json;
import io.spindle.testing.TcpProxy;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §7 and §8 with the database taken away and given back: requests get 503 with {@code Retry-After}
 * within the pool's acquire timeout (3 s in the test settings), readiness goes DOWN, and both recover
 * without a restart.
 */
class DatabaseOutageTest {
    private static final Pattern HOST_PORT = Pattern.compile("^(jdbc:postgresql://)([^/:?]+)(?::(\\d+))?(/.*)$");
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(4);
    private static final Duration READY_DOWN_WITHIN = Duration.ofMillis(2_500);
    private static final Duration RECOVER_WITHIN = Duration.ofSeconds(15);

    static TcpProxy proxy;
    static TestServer server;

    @BeforeAll
    static void start() {
        AtomicReference<TcpProxy> created = new AtomicReference<>();
        try {
            server = TestServer.start(settings -> throughProxy(settings, created));
        } catch (RuntimeException e) {
            if (created.get() != null) {
                created.get().close();
            }
            throw e;
        }
        proxy = created.get();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.restore(); // let the pool close its connections and the database be dropped
        }
        if (server != null) {
            server.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void aLostDatabaseMeans503WithRetryAfterAndDownReadinessUntilItIsBack() {
        assertThat(server.get("/v1/queues").statusCode()).isEqualTo(200);
        assertThat(server.get("/observe/health/ready").statusCode()).isEqualTo(200);

        proxy.cut();
        long cutAt = System.nanoTime();
        try {
            assertDownWhileCut(cutAt);
        } finally {
            proxy.restore();
        }
        long restoredAt = System.nanoTime();

        HttpResponse<String> recovered = pollUntil200("/v1/queues");
        System.out.println("GET /v1/queues recovered " + Duration.ofNanos(System.nanoTime() - restoredAt).toMillis()
                + " ms after the restore");
        assertThat(Json.parse(recovered.body()).path("items").findValuesAsText("name")).contains("default");
        pollUntil200("/observe/health/ready");
        assertThat(server.put("/v1/queues/after-outage", "{\"handler\": {\"type\": \"log\"}}").statusCode())
                .isEqualTo(201);
    }

    private static void assertDownWhileCut(long cutAt) {
        Timed<HttpResponse<String>> ready = timed(() -> server.get("/observe/health/ready"));
        System.out.println("readiness answered " + ready.value().statusCode() + " in " + ready.took().toMillis()
                + " ms after the cut: " + ready.value().body());
        assertThat(ready.value().statusCode()).isEqualTo(503);
        assertThat(ready.took()).isLessThan(READY_DOWN_WITHIN);
        JsonNode health = Json.parse(ready.value().body());
        assertThat(health.path("status").asText()).isEqualTo("DOWN");
        assertThat(databaseCheck(health).path("status").asText()).isEqualTo("DOWN");

        // several clients at once, each answered on its own within the acquire timeout
        List<Timed<HttpResponse<String>>> answers = concurrently(
                () -> server.get("/v1/queues"), () -> server.get("/v1/queues"), () -> server.get("/v1/queues"),
                () -> server.get("/v1/queues/default"));
        for (Timed<HttpResponse<String>> answer : answers) {
            System.out.println(answer.value().request().uri().getPath() + " answered " + answer.value().statusCode()
                    + " in " + answer.took().toMillis() + " ms during the outage");
            assertProblem(answer.value(), 503);
            assertThat(answer.took()).isLessThan(ANSWER_WITHIN);
            assertThat(answer.value().headers().firstValue("Retry-After"))
                    .hasValueSatisfying(seconds -> assertThat(Long.parseLong(seconds)).isPositive());
        }

        Timed<HttpResponse<String>> live = timed(() -> server.get("/observe/health/live"));
        assertThat(live.value().statusCode()).as("the process itself stays live").isEqualTo(200);
        assertThat(live.took()).isLessThan(Duration.ofSeconds(1));

        Timed<HttpResponse<String>> readyAgain = timed(() -> server.get("/observe/health/ready"));
        assertThat(readyAgain.value().statusCode()).as("still down").isEqualTo(503);
        assertThat(readyAgain.took()).isLessThan(READY_DOWN_WITHIN);
        System.out.println("outage phase took " + Duration.ofNanos(System.nanoTime() - cutAt).toMillis() + " ms");
    }

    /**
     * A database that stops answering (a hung server, or a network that drops packets) must not hang requests: a
     * statement already sent fails after {@code db.pool.socket-timeout}, and every later request gets 503 within
     * the acquire timeout.
     */
    @Test
    void aDatabaseThatStopsAnsweringMeans503WithRetryAfterNotAHang() {
        assertThat(server.get("/v1/queues").statusCode()).isEqualTo(200);
        Settings.Pool pool = TestServer.settings("jdbc:postgresql://unused/x", server.database()).db().pool();
        Duration noHang = pool.socketTimeout().plus(pool.acquireTimeout()).plusSeconds(2);

        proxy.freeze();
        try {
            // a busy service: this request borrows the connection the previous one used a moment ago
            Timed<HttpResponse<String>> first = timed(() -> server.get("/v1/queues"));
            System.out.println("frozen: first GET /v1/queues answered " + first.value().statusCode() + " in "
                    + first.took().toMillis() + " ms");
            assertProblem(first.value(), 503);
            assertThat(first.value().headers().firstValue("Retry-After")).isPresent();
            assertThat(first.took()).as("bounded by the socket timeout, never a hang").isLessThan(noHang);

            Timed<HttpResponse<String>> ready = timed(() -> server.get("/observe/health/ready"));
            assertThat(ready.value().statusCode()).isEqualTo(503);
            assertThat(ready.took()).isLessThan(READY_DOWN_WITHIN);
            for (Timed<HttpResponse<String>> list : concurrently(() -> server.get("/v1/queues"),
                                                                   () -> server.get("/v1/queues"))) {
                System.out.println("frozen: GET /v1/queues answered " + list.value().statusCode() + " in "
                        + list.took().toMillis() + " ms");
                assertProblem(list.value(), 503);
                assertThat(list.value().headers().firstValue("Retry-After")).isPresent();
                assertThat(list.took()).isLessThan(ANSWER_WITHIN);
            }
        } finally {
            proxy.restore();
        }
        pollUntil200("/v1/queues");
        pollUntil200("/observe/health/ready");
    }

    private static HttpResponse<String> pollUntil200(String path) {
        return await(path + " recovers").atMost(RECOVER_WITHIN).pollInterval(Duration.ofMillis(100)).until(() -> {
            HttpResponse<String> answer = server.get(path);
            if (answer.statusCode() != 200) {
                assertThat(answer.statusCode()).as("%s while recovering: %s", path, answer.body()).isEqualTo(503);
            }
            return answer;
        }, answer -> answer.statusCode() == 200);
    }

    private static JsonNode databaseCheck(JsonNode health) {
        for (JsonNode check : health.path("checks")) {
            if (check.path("name").asText().equals("database")) {
                return check;
            }
        }
        throw new AssertionError("no database check in " + health);
    }

    private record Timed<T>(T value, Duration took) {
    }

    @SafeVarargs
    private static <T> List<Timed<T>> concurrently(Supplier<T>... actions) {
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Timed<T>>> futures = new ArrayList<>();
            for (Supplier<T> action : actions) {
                futures.add(threads.submit(() -> timed(action)));
            }
            List<Timed<T>> results = new ArrayList<>();
            for (Future<Timed<T>> future : futures) {
                try {
                    results.add(future.get());
                } catch (ExecutionException e) {
                    throw new AssertionError("a request failed", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
            return results;
        }
    }

    private static <T> Timed<T> timed(Supplier<T> action) {
        long start = System.nanoTime();
        T value = action.get();
        return new Timed<>(value, Duration.ofNanos(System.nanoTime() - start));
    }

    /** The test settings with the database reached through a new proxy (kept in {@code created}). */
    private static Settings throughProxy(Settings settings, AtomicReference<TcpProxy> created) {
        String url = settings.db().url().orElseThrow();
        Matcher m = HOST_PORT.matcher(url);
        assertThat(m.matches()).as("a jdbc:postgresql://host:port/db URL: %s", url).isTrue();
        int port = m.group(3) == null ? 5432 : Integer.parseInt(m.group(3));
        TcpProxy tcp = TcpProxy.start(m.group(2), port);
        created.set(tcp);
        String proxied = m.group(1) + "127.0.0.1:" + tcp.port() + m.group(4);
        Settings.Db db = settings.db();
        return SettingsChange.of(settings)
                .db(new Settings.Db(Optional.of(proxied), db.username(), db.password(), db.pool(), db.embedded()))
                .build();
    }
}
