package io.spindle.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.testing.Json;
import io.spindle.testing.Problems;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/queues/{q}/tasks/retry} (SPEC §11): every failed task of a queue back to pending, in batches
 * that each commit alone, so enqueues to the same queue go on meanwhile; the counts stay exact.
 */
class BulkRedriveTest {
    static final int FAILED = 100_000;
    @AutoClose
    static final TestServer server = TestServer.start();

    private static void queue(String name) {
        HttpResponse<String> created = server.put("/v1/queues/" + name,
                "{\"handler\": {\"type\": \"log\"}, \"paused\": true, \"retry\": {\"maxAttempts\": 1}}");
        assertThat(created.statusCode()).isEqualTo(201);
    }

    /** Tasks that failed, written straight into the table (then recounted): what a long outage leaves. */
    private static void failedTasks(String queue, int n) throws Exception {
        try (Connection c = server.database().connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO tasks (queue, payload, state, attempts, max_attempts, last_error, finished_at) "
                       + "SELECT '" + queue + "', '{}'::json, 'failed', 1, 1, 'HTTP 500 from backend', now() "
                       + "FROM generate_series(1, " + n + ")");
            st.execute("SELECT spindle_recount_queues()");
        }
    }

    private static JsonNode stats(String queue) {
        return Json.parse(server.get("/v1/queues/" + queue).body()).path("stats");
    }

    @Test
    void redrivesAHundredThousandFailedTasksWhileEnqueuesGoOn() throws Exception {
        queue("outage");
        failedTasks("outage", FAILED);
        assertThat(stats("outage").path("failed").asInt()).isEqualTo(FAILED);

        AtomicBoolean redriving = new AtomicBoolean(true);
        List<Long> enqueueMillis = new ArrayList<>();
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            while (redriving.get()) {
                long start = System.nanoTime();
                HttpResponse<String> enqueued = server.post("/v1/queues/outage/tasks", "{\"payload\": {\"new\": true}}");
                assertThat(enqueued.statusCode()).isEqualTo(201);
                enqueueMillis.add((System.nanoTime() - start) / 1_000_000);
            }
        });
        long start = System.nanoTime();
        HttpResponse<String> redriven = server.post("/v1/queues/outage/tasks/retry", "{\"state\": \"failed\"}");
        long redriveMillis = (System.nanoTime() - start) / 1_000_000;
        redriving.set(false);
        producer.join();

        assertThat(redriven.statusCode()).as(redriven.body()).isEqualTo(200);
        assertThat(Json.parse(redriven.body()).path("count").asInt()).isEqualTo(FAILED);
        System.out.printf("redrive of %d tasks: %d ms; %d enqueues meanwhile, slowest %d ms%n",
                          FAILED, redriveMillis, enqueueMillis.size(), enqueueMillis.stream().mapToLong(Long::longValue).max().orElse(0));
        assertThat(enqueueMillis).as("enqueues went on during the redrive").hasSizeGreaterThan(5);
        assertThat(enqueueMillis).as("no enqueue waited for the redrive").allMatch(ms -> ms < 2_000);

        JsonNode stats = stats("outage");
        assertThat(stats.path("failed").asInt()).isZero();
        assertThat(stats.path("pending").asInt()).isEqualTo(FAILED + enqueueMillis.size());
        try (Connection c = server.database().connect(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FILTER (WHERE state = 'pending' AND attempts = 0 AND last_error IS NULL "
                                      + "AND finished_at IS NULL), count(*) FROM tasks WHERE queue = 'outage'")) {
            rs.next();
            assertThat(rs.getLong(1)).as("each redriven task has fresh attempts and no error").isEqualTo(rs.getLong(2));
        }
    }

    @Test
    void redrivesCancelledTasksWhenAskedAndLeavesOthersAlone() throws Exception {
        queue("mixed");
        failedTasks("mixed", 3);
        String pending = Json.parse(server.post("/v1/queues/mixed/tasks", "{\"payload\": 1}").body()).path("id").asText();
        assertThat(server.delete("/v1/queues/mixed/tasks/" + pending).statusCode()).isEqualTo(200);

        HttpResponse<String> cancelled = server.post("/v1/queues/mixed/tasks/retry", "{\"state\": \"cancelled\"}");
        assertThat(Json.parse(cancelled.body()).path("count").asInt()).isEqualTo(1);
        assertThat(stats("mixed").path("failed").asInt()).isEqualTo(3);
        assertThat(Json.parse(server.post("/v1/queues/mixed/tasks/retry", "{\"state\": \"failed\"}").body()).path("count").asInt())
                .isEqualTo(3);
        assertThat(Json.parse(server.post("/v1/queues/mixed/tasks/retry", "{\"state\": \"failed\"}").body()).path("count").asInt())
                .as("nothing left to redrive").isZero();
        assertThat(stats("mixed").path("pending").asInt()).isEqualTo(4);
    }

    @Test
    void badRequestsNameTheFieldUnknownQueuesAre404AndOtherMethods405() {
        queue("strict");
        Problems.assertInvalid(server.post("/v1/queues/strict/tasks/retry", "{}"), "state");
        Problems.assertInvalid(server.post("/v1/queues/strict/tasks/retry", "{\"state\": \"running\"}"), "state");
        Problems.assertInvalid(server.post("/v1/queues/strict/tasks/retry", "{\"state\": 1}"), "state");
        Problems.assertInvalid(server.post("/v1/queues/strict/tasks/retry", "{\"state\": \"failed\", \"all\": true}"), "all");
        Problems.assertInvalid(server.post("/v1/queues/strict/tasks/retry", "[]"));
        assertThat(server.post("/v1/queues/nowhere/tasks/retry", "{\"state\": \"failed\"}").statusCode()).isEqualTo(404);
        assertThat(server.get("/v1/queues/strict/tasks/retry").statusCode()).isEqualTo(405);
    }
}
