package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.config.Settings;
import io.spindle.testing.Backend;
import io.spindle.testing.Json;
import io.spindle.testing.SettingsChange;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A backend that is down for 15 s under 200 tasks: its circuit breaker opens after a few failures, the queue's
 * tasks then stay pending (no attempt spent) but for one probe each wait, and once the backend is back every task
 * succeeds with at most two attempts. The breaker's state shows on the queue and its changes as events.
 */
class BackendOutageTest {
    static TestServer server;
    static Backend backend;
    static final AtomicLong downUntil = new AtomicLong(Long.MAX_VALUE);

    @BeforeAll
    static void start() {
        backend = Backend.start().answer(request -> System.nanoTime() < downUntil.get()
                ? Backend.Reply.status(503) : Backend.Reply.OK);
        // breakers open after 5 deliveries of which half failed, and probe after 1 s open
        server = TestServer.start(s -> {
            Settings.Dispatch d = s.dispatch();
            return SettingsChange.of(s)
                    .dispatch(new Settings.Dispatch(d.maxConcurrent(), d.maxClaim(), d.leaseMargin(), d.pollInterval(),
                                                    Duration.ofSeconds(1), d.sweepInterval(), d.completionsPerWorker()))
                    .delivery(new Settings.Delivery(List.of(), 50, 5))
                    .build();
        });
    }

    @AfterAll
    static void stop() {
        server.close();
        backend.close();
    }

    @Test
    void tasksWaitOutAnOutageWithoutSpendingTheirAttempts() throws Exception {
        assertThat(server.put("/v1/queues/outage", """
                {"handler": {"type": "http", "backends": ["%s"]}, "maxConcurrent": 10, "paused": true,
                 "retry": {"maxAttempts": 3, "minBackoff": "PT1S", "maxBackoff": "PT2S"}}
                """.formatted(backend.uri())).statusCode()).isEqualTo(201);
        List<String> events = new CopyOnWriteArrayList<>();
        Thread subscriber = subscribe("tasks.outage", events);
        StringBuilder body = new StringBuilder("{\"tasks\": [");
        for (int i = 0; i < 200; i++) {
            body.append(i == 0 ? "" : ",").append("{\"payload\": ").append(i).append('}');
        }
        assertThat(server.post("/v1/queues/outage/tasks/batch", body.append("]}").toString()).statusCode()).isEqualTo(201);

        downUntil.set(System.nanoTime() + Duration.ofSeconds(15).toNanos());
        assertThat(server.post("/v1/queues/outage/resume", "").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> "open".equals(backendState()));
        int deliveredWhileOpen = backend.count();
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                .until(() -> queue().path("stats").path("succeeded").asInt() == 200);

        JsonNode stats = queue().path("stats");
        assertThat(stats.path("failed").asInt()).isZero();
        int mostAttempts = 0;
        for (JsonNode task : Json.parse(server.get("/v1/queues/outage/tasks?limit=500").body()).path("items")) {
            mostAttempts = Math.max(mostAttempts, task.path("attempts").asInt());
        }
        System.out.println("BackendOutageTest: " + deliveredWhileOpen + " deliveries before the breaker opened, "
                           + backend.count() + " in all for 200 tasks, at most " + mostAttempts + " attempts a task");
        assertThat(mostAttempts).isLessThanOrEqualTo(2);
        assertThat(backend.count()).as("the outage cost a few deliveries, not one a task").isLessThan(260);
        assertThat(backendState()).isEqualTo("closed");
        await().atMost(Duration.ofSeconds(2)).until(() -> events.contains("backend.closed"));
        assertThat(events).contains("backend.opened");
        assertThat(server.get("/observe/metrics").body()).contains("spindle_backend_state{backend=\"" + backend.uri());
        subscriber.interrupt();
    }

    private static String backendState() {
        return queue().path("backends").path(0).path("state").asText();
    }

    private static JsonNode queue() {
        return Json.parse(server.get("/v1/queues/outage").body());
    }

    /** Reads the event types of a topic's stream into {@code events} on a thread of its own. */
    private static Thread subscribe(String topic, List<String> events) throws InterruptedException {
        java.util.concurrent.CountDownLatch open = new java.util.concurrent.CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<java.util.stream.Stream<String>> response = client.send(
                        HttpRequest.newBuilder(server.uri("/v1/topics/" + topic + "/events")).GET().build(),
                        HttpResponse.BodyHandlers.ofLines());
                open.countDown();
                response.body().forEach(line -> {
                    if (line.startsWith("event: ")) {
                        events.add(line.substring("event: ".length()));
                    }
                });
            } catch (Exception e) {
                open.countDown();
            }
        });
        open.await();
        return reader;
    }
}
