package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.testing.Backend;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * Shutdown lets running tasks finish within {@code shutdown.grace}; what is still running then is interrupted
 * and returned to pending without counting the attempt. No task is left {@code running}.
 */
class GracefulShutdownTest {

    @Test
    void runningTasksFinishWithinTheGrace() throws Exception {
        try (Backend sink = Backend.start().answer(Backend.after(Duration.ofMillis(500), Backend.Reply.OK));
             TestDatabase.Fresh db = TestDatabase.fresh()) {
            Lifecycle lifecycle = new Lifecycle();
            TestServerClient client = start(db, lifecycle);
            client.createQueue(sink.uri().toString());
            client.enqueue(10);
            awaitRunning(db, 10);
            lifecycle.close();
            assertThat(count(db, "succeeded")).isEqualTo(10);
            assertThat(count(db, "running")).isZero();
        }
    }

    @Test
    void tasksStillRunningAtTheDeadlineGoBackToPendingUncounted() throws Exception {
        try (Backend sink = Backend.start().answer(Backend.after(Duration.ofSeconds(30), Backend.Reply.OK));
             TestDatabase.Fresh db = TestDatabase.fresh()) {
            Lifecycle lifecycle = new Lifecycle();
            TestServerClient client = start(db, lifecycle);
            client.createQueue(sink.uri().toString());
            client.enqueue(5);
            awaitRunning(db, 5);
            Instant before = Instant.now();
            lifecycle.close();
            assertThat(Duration.between(before, Instant.now())).isLessThan(Duration.ofSeconds(10));
            assertThat(count(db, "running")).isZero();
            assertThat(count(db, "pending")).isEqualTo(5);
            try (Connection c = db.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT max(attempts) FROM tasks WHERE queue = 'slow'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("the interrupted attempt is not counted").isZero();
            }
        }
    }

    private record TestServerClient(Spindle.Running running) {
        void createQueue(String backend) throws Exception {
            assertThat(send("PUT", "/v1/queues/slow", """
                    {"handler": {"type": "http", "backends": ["%s"]}, "maxConcurrent": 20}""".formatted(backend)))
                    .isEqualTo(201);
        }

        void enqueue(int n) throws Exception {
            for (int i = 0; i < n; i++) {
                assertThat(send("POST", "/v1/queues/slow/tasks", "{\"payload\": " + i + "}")).isEqualTo(201);
            }
        }

        int send(String method, String path, String body) throws Exception {
            var request = java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + running.port() + path))
                    .header("Content-Type", "application/json")
                    .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
            return java.net.http.HttpClient.newHttpClient()
                    .send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    private static TestServerClient start(TestDatabase.Fresh db, Lifecycle lifecycle) {
        return new TestServerClient(Spindle.start(TestServer.settings(db.jdbcUrl(), db), lifecycle));
    }

    private static void awaitRunning(TestDatabase.Fresh db, int n) {
        await(n + " tasks running").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> count(db, "running") >= n);
    }

    private static int count(TestDatabase.Fresh db, String state) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM tasks WHERE state = '" + state + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
