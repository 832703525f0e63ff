package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.testing.Backend;
import io.spindle.testing.ChildProcess;
import io.spindle.testing.Json;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to the packaged service while clients enqueue and tasks are delivered: it exits in time, leaves no
 * task {@code running}, loses no acknowledged task, answers no enqueue with a 500, and once a service runs
 * again every acknowledged task ends {@code succeeded}.
 */
class SigtermUnderLoadIT {

    @Test
    void noAcknowledgedTaskIsLostOrLeftRunning() throws Exception {
        try (TestDatabase.Fresh db = TestDatabase.fresh();
             Backend sink = Backend.start().answer(Backend.after(Duration.ofMillis(20), Backend.Reply.OK))) {
            int port = ChildProcess.freePort();
            Path workDir = Files.createTempDirectory("spindle-sigterm");
            Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
            Set<Integer> statuses = ConcurrentHashMap.newKeySet();
            try (ChildProcess child = ChildProcess.launch(workDir, Map.of(
                    "DB_URL", db.jdbcUrl(), "DB_USERNAME", db.username(), "DB_PASSWORD", db.password(),
                    "SERVER_PORT", Integer.toString(port), "SHUTDOWN_GRACE", "PT3S"), List.of("-Xmx256m"))) {
                HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                String base = "http://127.0.0.1:" + port;
                child.awaitReady(port, Duration.ofSeconds(30));
                assertThat(send(client, "PUT", base + "/v1/queues/load", """
                        {"handler": {"type": "http", "backends": ["%s"]}, "maxConcurrent": 32}""".formatted(sink.uri()))
                                   .statusCode()).isEqualTo(201);

                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> producers = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    producers.add(Thread.ofVirtual().start(() -> {
                        while (!stop.get()) {
                            try {
                                var response = send(client, "POST", base + "/v1/queues/load/tasks", "{\"payload\": {}}");
                                statuses.add(response.statusCode());
                                if (response.statusCode() == 201) {
                                    acknowledged.add(Json.parse(response.body()).path("id").asLong());
                                }
                            } catch (Exception e) {
                                return; // the server is gone
                            }
                        }
                    }));
                }
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> assertThat(
                        sink.deliveries()).as("deliveries under way before SIGTERM").hasSizeGreaterThanOrEqualTo(100));

                child.terminate();
                int exit = child.awaitExit(Duration.ofSeconds(10));
                stop.set(true);
                for (Thread producer : producers) {
                    producer.join(Duration.ofSeconds(5));
                }
                assertThat(exit).as("exit code after SIGTERM").isIn(0, 143);
                assertThat(child.output()).contains("shutdown complete");
                assertThat(statuses).as("answers to enqueues: accepted, or refused with 503 once shutdown began")
                        .isSubsetOf(201, 503);
            }
            assertThat(acknowledged).hasSizeGreaterThan(100);
            try (Connection c = db.connect()) {
                assertThat(countWhere(c, "state = 'running'")).as("no task left running").isZero();
                assertThat(existing(c, acknowledged)).as("every acknowledged task is stored").isEqualTo(acknowledged.size());
            }

            Lifecycle lifecycle = new Lifecycle();
            Spindle.start(TestServer.settings(db.jdbcUrl(), db), lifecycle);
            try (Connection c = db.connect()) {
                await("all acknowledged tasks succeed after restart").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(50)).until(() -> succeeded(c, acknowledged) >= acknowledged.size());
            } finally {
                lifecycle.close();
            }
            assertThat(sink.deliveries().keySet()).containsAll(acknowledged.stream().map(String::valueOf).toList());
        }
    }

    private static HttpResponse<String> send(HttpClient client, String method, String url, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (body == null) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int countWhere(Connection c, String condition) throws Exception {
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM tasks WHERE " + condition)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int existing(Connection c, Set<Long> ids) throws Exception {
        return countIds(c, ids, "SELECT count(*) FROM tasks WHERE id = ANY(?)");
    }

    private static int succeeded(Connection c, Set<Long> ids) throws Exception {
        return countIds(c, ids, "SELECT count(*) FROM tasks WHERE id = ANY(?) AND state = 'succeeded'");
    }

    private static int countIds(Connection c, Set<Long> ids, String sql) throws Exception {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            Array array = c.createArrayOf("int8", ids.toArray());
            st.setArray(1, array);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
