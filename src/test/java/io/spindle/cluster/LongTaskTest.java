package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

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
 * Long tasks: a backend that answers 202 keeps its task running for as long as it sends heartbeats with the
 * delivery's Spindle-Lease token, then completes or fails it; a token whose attempt was rescued or has ended is
 * refused with 409, so a rescued attempt never ends a task twice.
 */
class LongTaskTest {
    static TestServer server;
    static Backend backend;

    @BeforeAll
    static void start() {
        backend = Backend.start().answer(Backend.always(Backend.Reply.status(202)));
        // leases of the handler timeout plus 300 ms, looked for every 300 ms
        server = TestServer.start(s -> SettingsChange.of(s).dispatch(new Settings.Dispatch(
                16, 100, Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(1),
                s.dispatch().completionsPerWorker())).build());
        assertThat(server.put("/v1/queues/long", """
                {"handler": {"type": "http", "backends": ["%s"], "timeout": "PT1S"},
                 "retry": {"maxAttempts": 5, "minBackoff": "PT0S", "maxBackoff": "PT0S"}}
                """.formatted(backend.uri())).statusCode()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
        backend.close();
    }

    @Test
    void heartbeatsKeepATaskRunningPastItsLeaseAndCompleteEndsItWithTheResult() throws Exception {
        String id = enqueue();
        String token = deliveryOf(id, 1).header("Spindle-Lease");
        assertThat(token).isNotBlank();

        long until = System.nanoTime() + Duration.ofMillis(3000).toNanos(); // over twice timeout + margin
        int beats = 0;
        while (System.nanoTime() < until) {
            HttpResponse<String> beat = report(id, "heartbeat", token, null);
            assertThat(beat.statusCode()).as(beat.body()).isEqualTo(200);
            assertThat(Json.parse(beat.body()).path("state").asText()).isEqualTo("running");
            beats++;
            Thread.sleep(400);
        }
        assertThat(task(id).path("state").asText()).isEqualTo("running");
        assertThat(task(id).path("attempts").asInt()).as("the lease never expired").isEqualTo(1);

        HttpResponse<String> done = report(id, "complete", token, "{\"result\": {\"rows\": 42}}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(Json.parse(done.body()).path("state").asText()).isEqualTo("succeeded");
        assertThat(Json.parse(done.body()).path("result").path("rows").asInt()).isEqualTo(42);

        HttpResponse<String> again = report(id, "complete", token, "{\"result\": 1}");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(server.get("/observe/metrics").body())
                .contains("spindle_tasks_heartbeats_total{queue=\"long\",} " + beats + ".0");
    }

    @Test
    void aRescuedAttemptsTokenIsRefused() throws Exception {
        String id = enqueue();
        String first = deliveryOf(id, 1).header("Spindle-Lease");
        // no heartbeat: the lease (timeout 1 s + margin) expires, the reaper rescues the task, it runs again
        String second = deliveryOf(id, 2).header("Spindle-Lease");
        assertThat(second).isNotEqualTo(first);

        HttpResponse<String> stale = report(id, "complete", first, "{\"result\": \"late\"}");
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(stale.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(report(id, "heartbeat", first, null).statusCode()).isEqualTo(409);

        HttpResponse<String> done = report(id, "complete", second, "{\"result\": \"on time\"}");
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(report(id, "complete", second, "{\"result\": \"twice\"}").statusCode()).isEqualTo(409);
        assertThat(task(id).path("result").asText()).isEqualTo("on time");
    }

    @Test
    void failRetriesOrFailsForGood() throws Exception {
        String id = enqueue();
        String token = deliveryOf(id, 1).header("Spindle-Lease");
        HttpResponse<String> retried = report(id, "fail", token, "{\"error\": \"quota\", \"retryAfter\": \"PT0.2S\"}");
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(Json.parse(retried.body()).path("state").asText()).isEqualTo("pending");
        assertThat(Json.parse(retried.body()).path("lastError").asText()).isEqualTo("quota");

        String next = deliveryOf(id, 2).header("Spindle-Lease");
        HttpResponse<String> failed = report(id, "fail", next, "{\"error\": \"bad input\", \"permanent\": true}");
        assertThat(failed.statusCode()).isEqualTo(200);
        assertThat(Json.parse(failed.body()).path("state").asText()).isEqualTo("failed");
    }

    @Test
    void aMissingOrMalformedTokenIsRefusedNamingTheHeader() {
        String id = enqueue();
        HttpResponse<String> missing = server.send(HttpRequest.newBuilder(server.uri("/v1/queues/long/tasks/" + id + "/heartbeat"))
                                                           .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(missing.body()).contains("Spindle-Lease");
        assertThat(report(id, "complete", "not-a-token", null).statusCode()).isEqualTo(400);
        assertThat(report(id, "fail", "00000000-0000-0000-0000-000000000000", "{\"permanent\": 3}").statusCode())
                .isEqualTo(400);
        assertThat(report("999999", "complete", "00000000-0000-0000-0000-000000000000", null).statusCode())
                .isEqualTo(404);
    }

    private static String enqueue() {
        HttpResponse<String> response = server.post("/v1/queues/long/tasks", "{\"payload\": {\"work\": \"long\"}}");
        assertThat(response.statusCode()).isEqualTo(201);
        return Json.parse(response.body()).path("id").asText();
    }

    private static Backend.Received deliveryOf(String id, int attempt) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> attemptOf(id, attempt) != null);
        return attemptOf(id, attempt);
    }

    private static Backend.Received attemptOf(String id, int attempt) {
        List<Backend.Received> all = backend.received();
        return all.stream().filter(r -> id.equals(r.header("Spindle-Task-Id"))
                                        && String.valueOf(attempt).equals(r.header("Spindle-Attempt")))
                .findFirst().orElse(null);
    }

    private static JsonNode task(String id) {
        return Json.parse(server.get("/v1/queues/long/tasks/" + id).body());
    }

    private static HttpResponse<String> report(String id, String action, String token, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri("/v1/queues/long/tasks/" + id + "/" + action))
                .header("Spindle-Lease", token);
        if (body == null) {
            request.POST(HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return server.send(request);
    }
}
