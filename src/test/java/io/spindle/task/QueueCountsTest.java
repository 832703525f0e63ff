package io.spindle.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A queue's stats are counts kept in step by the statements that change states (not counted from the rows):
 * after every transition — created, started, succeeded, retrying, failed, released, rescued, cancelled,
 * redriven, retention, queue deletion — they equal what {@code count(*)} over the queue's rows says. Claims,
 * ends of attempts and releases come from a second "instance" (a store of its own on the same database); the
 * server's lease reaper and retention sweeper do the rest. Queues stay paused, so the server's dispatcher
 * claims nothing by itself.
 */
class QueueCountsTest {
    private static final Duration LEASE_MARGIN = Duration.ofMillis(300);

    static TestServer server;
    static Database other;
    static DispatchStore otherInstance;

    @BeforeAll
    static void start() {
        server = TestServer.start(s -> {
            Settings.Dispatch d = s.dispatch();
            return SettingsChange.of(s).dispatch(new Settings.Dispatch(d.maxConcurrent(), d.maxClaim(), LEASE_MARGIN, d.pollInterval(),
                                                        d.backendCooldown(), Duration.ofMillis(300), d.completionsPerWorker())).build();
        });
        Settings settings = TestServer.settings(server.database().jdbcUrl(), server.database());
        other = Database.open(settings.db(), server.database().jdbcUrl(), new SimpleMeterRegistry());
        otherInstance = new DispatchStore(other, "other-instance");
    }

    @AfterAll
    static void stop() {
        other.close();
        server.close();
    }

    @Test
    void everyTransitionKeepsTheCountsExact() throws Exception {
        put("counted", "{\"handler\": {\"type\": \"log\"}, \"paused\": true, \"retry\": {\"maxAttempts\": 2}}");
        assertExact("counted");

        long single = enqueue("counted", "{\"payload\": 1, \"key\": \"k-1\"}");
        assertExact("counted");
        assertThat(server.post("/v1/queues/counted/tasks", "{\"payload\": 1, \"key\": \"k-1\"}").statusCode())
                .as("a taken idempotency key creates nothing").isEqualTo(200);
        assertExact("counted");
        StringBuilder batch = new StringBuilder("{\"tasks\": [");
        for (int i = 0; i < 20; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"payload\": ").append(i).append('}');
        }
        assertThat(server.post("/v1/queues/counted/tasks/batch", batch + "]}").statusCode()).isEqualTo(201);
        long scheduled = enqueue("counted", "{\"payload\": \"later\", \"delay\": \"PT1H\"}");
        assertExact("counted");

        List<Task> claimed = claim("counted", 8, Duration.ofMinutes(5));
        assertThat(claimed).hasSize(8);
        assertExact("counted");

        assertThat(otherInstance.complete(List.of(
                Completion.of(claimed.get(0), new AttemptEnd.Succeeded("{\"ok\": true}")),
                Completion.of(claimed.get(1), new AttemptEnd.Succeeded(null)),
                Completion.of(claimed.get(2), new AttemptEnd.Retry("busy", Duration.ZERO)),
                Completion.of(claimed.get(3), new AttemptEnd.Retry("busy later", Duration.ofHours(1))),
                Completion.of(claimed.get(4), new AttemptEnd.Failed("bad"))))).hasSize(5);
        assertExact("counted");
        assertThat(otherInstance.complete(List.of(Completion.of(claimed.get(0), new AttemptEnd.Failed("late")))))
                .as("a stale end changes nothing").isEmpty();
        assertExact("counted");

        assertThat(otherInstance.release(List.of(new DispatchStore.Attempt(claimed.get(5).id(), claimed.get(5).attempts()))))
                .hasSize(1);
        assertExact("counted");

        // two more claims whose leases expire at once: the server's reaper rescues them
        List<Task> leased = claim("counted", 2, Duration.ofMillis(1));
        assertThat(leased).hasSize(2);
        await("the server's lease reaper rescues the expired leases").atMost(Duration.ofSeconds(10))
                .until(() -> states("counted").get("running") == 2); // the two with the five-minute lease
        assertExact("counted");

        assertThat(server.delete("/v1/queues/counted/tasks/" + scheduled).statusCode()).isEqualTo(200);
        assertExact("counted");
        long due = enqueue("counted", "{\"payload\": \"due\"}");
        assertThat(server.delete("/v1/queues/counted/tasks/" + due).statusCode()).isEqualTo(200);
        assertExact("counted");
        assertThat(server.delete("/v1/queues/counted/tasks/" + single).statusCode()).as("the first claim took it")
                .isEqualTo(409);
        assertExact("counted");

        long failed = failedTaskId("counted");
        assertThat(server.post("/v1/queues/counted/tasks/" + failed + "/retry", "").statusCode()).isEqualTo(200);
        assertExact("counted");
        long cancelled = enqueue("counted", "{\"payload\": \"to cancel\", \"delay\": \"PT1H\"}");
        assertThat(server.delete("/v1/queues/counted/tasks/" + cancelled).statusCode()).isEqualTo(200);
        assertThat(server.post("/v1/queues/counted/tasks/" + cancelled + "/retry", "").statusCode()).isEqualTo(200);
        assertExact("counted");
        assertThat(server.post("/v1/queues/counted/tasks/" + cancelled + "/retry", "").statusCode())
                .as("a refused retry changes nothing").isEqualTo(409);
        assertExact("counted");

        JsonNode stats = stats("counted");
        assertThat(stats.path("succeeded").asLong()).isEqualTo(2);
        assertThat(stats.path("running").asLong()).isEqualTo(2);
    }

    @Test
    void retentionDeletionsAndQueueDeletionLeaveNothingCounted() throws Exception {
        put("kept-briefly", "{\"handler\": {\"type\": \"log\"}, \"paused\": true, \"retention\": \"PT0S\"}");
        for (int i = 0; i < 5; i++) {
            enqueue("kept-briefly", "{\"payload\": " + i + "}");
        }
        List<Task> claimed = claim("kept-briefly", 5, Duration.ofMinutes(5));
        otherInstance.complete(claimed.stream().map(t -> Completion.of(t, new AttemptEnd.Succeeded(null))).toList());
        await("the retention sweeper deletes the finished tasks").atMost(Duration.ofSeconds(10))
                .until(() -> states("kept-briefly").values().stream().mapToLong(Long::longValue).sum() == 0);
        assertExact("kept-briefly");
        assertThat(stats("kept-briefly").path("succeeded").asLong()).isZero();

        put("doomed", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        for (int i = 0; i < 3; i++) {
            enqueue("doomed", "{\"payload\": " + i + "}");
        }
        claimed = claim("doomed", 3, Duration.ofMinutes(5));
        otherInstance.complete(claimed.stream().map(t -> Completion.of(t, new AttemptEnd.Failed("no"))).toList());
        assertExact("doomed");
        assertThat(server.delete("/v1/queues/doomed").statusCode()).isEqualTo(204);
        put("doomed", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        assertExact("doomed");
        assertThat(stats("doomed").path("failed").asLong()).as("a queue of the same name starts from zero").isZero();
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static List<Task> claim(String queue, int n, Duration lease) {
        if (n == 0) {
            return List.of();
        }
        return otherInstance.claim(List.of(new DispatchStore.Want(queue, n, lease)), n).tasks();
    }

    /**
     * The stats of the API against the rows themselves. Time makes scheduled tasks due between two reads, so the
     * rows' due and scheduled counts are read before and after the API's, and each of its figures must lie
     * between them; the other states must be equal.
     */
    private static void assertExact(String queue) throws SQLException {
        long scheduledBefore = scheduled(queue);
        Map<String, Long> rows = states(queue);
        JsonNode stats = stats(queue);
        long scheduledAfter = scheduled(queue);
        assertThat(states(queue)).as("nothing changed the rows meanwhile").isEqualTo(rows);
        assertThat(stats.path("scheduled").asLong()).as("scheduled").isBetween(scheduledAfter, scheduledBefore);
        assertThat(stats.path("pending").asLong() + stats.path("scheduled").asLong()).as("pending + scheduled")
                .isEqualTo(rows.get("pending"));
        for (String state : List.of("running", "succeeded", "failed", "cancelled")) {
            assertThat(stats.path(state).asLong()).as(state).isEqualTo(rows.get(state));
        }
        for (JsonNode item : Json.parse(server.get("/v1/queues").body()).path("items")) {
            if (item.path("name").asText().equals(queue)) {
                for (String state : List.of("running", "succeeded", "failed", "cancelled")) {
                    assertThat(item.path("stats").path(state)).as("the list's %s", state).isEqualTo(stats.path(state));
                }
            }
        }
    }

    private static long scheduled(String queue) throws SQLException {
        try (Connection c = server.database().connect(); PreparedStatement st = c.prepareStatement(
                "SELECT count(*) FROM tasks WHERE queue = ? AND state = 'pending' AND run_at > now()")) {
            st.setString(1, queue);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static Map<String, Long> states(String queue) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String state : List.of("pending", "running", "succeeded", "failed", "cancelled")) {
            counts.put(state, 0L);
        }
        try (Connection c = server.database().connect();
             PreparedStatement st = c.prepareStatement("SELECT state, count(*) FROM tasks WHERE queue = ? GROUP BY state")) {
            st.setString(1, queue);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    counts.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return counts;
    }

    private static long failedTaskId(String queue) throws SQLException {
        try (Connection c = server.database().connect();
             PreparedStatement st = c.prepareStatement("SELECT id FROM tasks WHERE queue = ? AND state = 'failed' LIMIT 1")) {
            st.setString(1, queue);
            try (ResultSet rs = st.executeQuery()) {
                assertThat(rs.next()).as("a failed task").isTrue();
                return rs.getLong(1);
            }
        }
    }

    private static JsonNode stats(String queue) {
        var response = server.get("/v1/queues/" + queue);
        assertThat(response.statusCode()).isEqualTo(200);
        return Json.parse(response.body()).path("stats");
    }

    private static void put(String queue, String body) {
        assertThat(server.put("/v1/queues/" + queue, body).statusCode()).isIn(200, 201);
    }

    private static long enqueue(String queue, String body) {
        var response = server.post("/v1/queues/" + queue + "/tasks", body);
        assertThat(response.statusCode()).isEqualTo(201);
        return Json.parse(response.body()).path("id").asLong();
    }
}
