package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.testing.Backend;
import io.spindle.testing.Json;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two Spindle instances on one database behave as one service: every task is delivered exactly once (and the
 * queue's counts, kept by both, come out exact), an enqueue on one instance wakes the other, and a cancel on one
 * answers the other's long-polls.
 */
class TwoInstancesTest {
    static TestServer first;
    static Lifecycle secondLifecycle;
    static Spindle.Running second;
    static Backend sink;

    @BeforeAll
    static void start() throws Exception {
        sink = Backend.start().answer(Backend.after(Duration.ofMillis(2), Backend.Reply.OK));
        first = TestServer.start();
        TestDatabase.Fresh db = first.database();
        secondLifecycle = new Lifecycle();
        second = Spindle.start(TestServer.settings(db.jdbcUrl(), db), secondLifecycle);
    }

    @AfterAll
    static void stop() {
        secondLifecycle.close();
        first.close();
        sink.close();
    }

    @Test
    void twoThousandTasksAreEachDeliveredExactlyOnceByTwoDispatchers() throws Exception {
        assertThat(first.put("/v1/queues/shared", """
                {"handler": {"type": "http", "backends": ["%s"]}, "maxConcurrent": 50, "paused": true}
                """.formatted(sink.uri())).statusCode()).isEqualTo(201);
        Set<String> ids = new HashSet<>();
        for (int batch = 0; batch < 20; batch++) {
            StringBuilder body = new StringBuilder("{\"tasks\": [");
            for (int i = 0; i < 100; i++) {
                body.append(i == 0 ? "" : ",").append("{\"payload\": {\"n\": ").append(batch * 100 + i).append("}}");
            }
            body.append("]}");
            var response = first.post("/v1/queues/shared/tasks/batch", body.toString());
            assertThat(response.statusCode()).isEqualTo(201);
            Json.parse(response.body()).path("items").forEach(item -> ids.add(item.path("id").asText()));
        }
        assertThat(ids).hasSize(2000);

        assertThat(first.post("/v1/queues/shared/resume", "").statusCode()).isEqualTo(200);
        Set<String> owners = new HashSet<>();
        try (Connection c = first.database().connect(); Statement st = c.createStatement()) {
            await("all tasks succeed").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(() -> {
                try (ResultSet rs = st.executeQuery(
                        "SELECT DISTINCT lease_owner FROM tasks WHERE state = 'running' AND lease_owner IS NOT NULL")) {
                    while (rs.next()) {
                        owners.add(rs.getString(1));
                    }
                }
                return succeeded(st) >= 2000;
            });
        }
        assertThat(sink.deliveries().keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(sink.deliveries().values()).allSatisfy(count -> assertThat(count).isEqualTo(1));
        assertThat(owners).as("both instances claimed tasks").hasSize(2);
        // both instances' claims and completions kept the queue's counts: exact on either instance
        for (String base : List.of("http://127.0.0.1:" + first.port(), "http://127.0.0.1:" + second.port())) {
            var response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/queues/shared")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            var stats = Json.parse(response.body()).path("stats");
            assertThat(stats.path("succeeded").asLong()).as("succeeded on %s", base).isEqualTo(2000);
            for (String state : List.of("pending", "scheduled", "running", "failed", "cancelled")) {
                assertThat(stats.path(state).asLong()).as("%s on %s", state, base).isZero();
            }
        }
    }

    @Test
    void anEnqueueOnOneInstanceIsRunByTheOtherWhenOnlyItHasCapacity() throws Exception {
        assertThat(first.put("/v1/queues/cross", """
                {"handler": {"type": "http", "backends": ["%s"]}}
                """.formatted(sink.uri())).statusCode()).isEqualTo(201);
        // enqueue through the second instance's HTTP port; either instance may run it, and it must run promptly
        var client = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + second.port() + "/v1/queues/cross/tasks"))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"payload\": 1}"))
                .build();
        var response = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(201);
        String id = Json.parse(response.body()).path("id").asText();
        var done = first.get("/v1/queues/cross/tasks/" + id + "?wait=PT10S");
        assertThat(Json.parse(done.body()).path("state").asText()).isEqualTo("succeeded");
        assertThat(sink.deliveries()).containsEntry(id, 1);
    }

    @Test
    void aCancelOnOneInstanceAnswersALongPollOnTheOtherAtOnce() throws Exception {
        assertThat(first.put("/v1/queues/cancel-across", """
                {"handler": {"type": "http", "backends": ["%s"]}}
                """.formatted(sink.uri())).statusCode()).isEqualTo(201);
        String id = Json.parse(first.post("/v1/queues/cancel-across/tasks", "{\"payload\": 1, \"delay\": \"PT1H\"}")
                                       .body()).path("id").asText();
        var client = java.net.http.HttpClient.newHttpClient();
        var poll = client.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://127.0.0.1:" + second.port() + "/v1/queues/cancel-across/tasks/" + id + "?wait=PT60S")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(first.delete("/v1/queues/cancel-across/tasks/" + id).statusCode()).isEqualTo(200);

        var answer = poll.get(20, java.util.concurrent.TimeUnit.SECONDS); // not after its minute: woken by NOTIFY
        assertThat(Json.parse(answer.body()).path("state").asText()).isEqualTo("cancelled");
    }

    private static int succeeded(Statement st) throws Exception {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM tasks WHERE queue = 'shared' AND state = 'succeeded'")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
