package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.config.Settings;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Retention (SPEC §4): finished tasks are deleted once their queue's {@code retention} has passed, unfinished ones
 * never, and a deleted task's idempotency key is free again. The sweep runs every half second here.
 */
class RetentionTest {
    private static final Duration SWEEP = Duration.ofMillis(500);

    static TestServer server;
    static final List<HttpResponse<String>> responses = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        server = TestServer.start(s -> {
            Settings.Dispatch d = s.dispatch();
            return SettingsChange.of(s).dispatch(new Settings.Dispatch(d.maxConcurrent(), d.maxClaim(), d.leaseMargin(), d.pollInterval(),
                                                        d.backendCooldown(), SWEEP, d.completionsPerWorker())).build();
        });
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void noServerErrors() {
        assertThat(responses).as("no input may make the service answer 5xx").noneMatch(r -> r.statusCode() >= 500);
    }

    @Test
    void finishedTasksGoAfterRetentionAndUnfinishedOnesStay() {
        put("/v1/queues/short", "{\"handler\": {\"type\": \"log\"}, \"retention\": \"PT1S\"}");
        put("/v1/queues/long", "{\"handler\": {\"type\": \"log\"}}");
        JsonNode scheduled = enqueue("short", "{\"payload\": \"later\", \"delay\": \"PT1H\"}");
        JsonNode cancelled = enqueue("short", "{\"payload\": \"cancelled\", \"delay\": \"PT1H\"}");
        assertThat(delete(location(cancelled)).statusCode()).isEqualTo(200);
        JsonNode kept = enqueue("long", "{\"payload\": \"kept\"}");
        JsonNode task = enqueue("short", "{\"payload\": \"done\", \"key\": \"order-1\"}");

        JsonNode done = awaitFinished(task);
        assertThat(done.path("state").asText()).isEqualTo("succeeded");
        Instant finishedAt = Instant.parse(done.path("finishedAt").asText());
        assertThat(awaitFinished(kept).path("state").asText()).isEqualTo("succeeded");

        // within retention the key still names the finished task
        var again = post("/v1/queues/short/tasks", "{\"payload\": \"again\", \"key\": \"order-1\"}");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
        assertThat(Json.parse(again.body()).path("id")).isEqualTo(task.path("id"));

        Instant gone = awaitGone(task, Duration.ofSeconds(5));
        System.out.printf("retention PT1S, sweep every %d ms: deleted %d ms after finishing%n",
                          SWEEP.toMillis(), Duration.between(finishedAt, gone).toMillis());
        assertThat(gone).as("not before the retention has passed")
                .isAfterOrEqualTo(finishedAt.plus(Duration.ofSeconds(1)));
        assertThat(gone).as("within retention + one sweep (and some slack)")
                .isBefore(finishedAt.plus(Duration.ofSeconds(1)).plus(SWEEP).plus(Duration.ofSeconds(1)));

        assertThat(get(location(cancelled)).statusCode()).as("a cancelled task is finished too").isEqualTo(404);
        JsonNode stillScheduled = Json.parse(get(location(scheduled)).body());
        assertThat(stillScheduled.path("state").asText()).as("a pending task is never swept").isEqualTo("pending");
        assertThat(Json.parse(get(location(kept)).body()).path("state").asText())
                .as("another queue's retention (P7D) still holds its task").isEqualTo("succeeded");
        JsonNode stats = Json.parse(get("/v1/queues/short").body()).path("stats");
        assertThat(stats.path("succeeded").asInt()).isZero();
        assertThat(stats.path("cancelled").asInt()).isZero();
        assertThat(stats.path("scheduled").asInt()).isEqualTo(1);

        // the key is free again once its task is gone
        var reused = post("/v1/queues/short/tasks", "{\"payload\": \"new\", \"key\": \"order-1\"}");
        assertThat(reused.statusCode()).as(reused.body()).isEqualTo(201);
        JsonNode fresh = Json.parse(reused.body());
        assertThat(fresh.path("id").asText()).isNotEqualTo(task.path("id").asText());
        assertThat(fresh.path("payload").asText()).isEqualTo("new");
        assertThat(awaitFinished(fresh).path("state").asText()).isEqualTo("succeeded");
    }

    /** Polls (with a deadline) until the task answers 404; returns when that was first seen. */
    private static Instant awaitGone(JsonNode task, Duration timeout) {
        await("task " + task.path("id") + " deleted").atMost(timeout).pollInterval(Duration.ofMillis(5)).until(() -> {
            var response = get(location(task));
            if (response.statusCode() != 404) {
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            }
            return response.statusCode() == 404;
        });
        return Instant.now();
    }

    private static JsonNode awaitFinished(JsonNode task) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            JsonNode now = Json.parse(get(location(task) + "?wait=PT5S").body());
            if (List.of("succeeded", "failed", "cancelled").contains(now.path("state").asText())) {
                return now;
            }
            assertThat(System.nanoTime()).as("task did not finish: %s", now).isLessThan(deadline);
        }
    }

    private static JsonNode enqueue(String queue, String body) {
        var response = post("/v1/queues/" + queue + "/tasks", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return Json.parse(response.body());
    }

    private static String location(JsonNode task) {
        return "/v1/queues/" + task.path("queue").asText() + "/tasks/" + task.path("id").asText();
    }

    private static HttpResponse<String> recorded(HttpResponse<String> response) {
        responses.add(response);
        return response;
    }

    private static HttpResponse<String> get(String path) {
        return recorded(server.get(path));
    }

    private static HttpResponse<String> post(String path, String json) {
        return recorded(server.post(path, json));
    }

    private static void put(String path, String json) {
        var response = recorded(server.put(path, json));
        assertThat(response.statusCode()).as(response.body()).isIn(200, 201);
    }

    private static HttpResponse<String> delete(String path) {
        return recorded(server.delete(path));
    }
}
