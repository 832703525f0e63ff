package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.config.Settings;
import io.spindle.testing.Backend;
import io.spindle.testing.ChildProcess;
import io.spindle.testing.SettingsChange;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * An instance killed (destroyForcibly) while it runs all of a queue's maxConcurrent tasks: the other instance
 * starts none of the queue's tasks while the dead one's leases hold, and goes on with all of them once its lease
 * reaper has rescued them; the backend never holds more than maxConcurrent requests.
 */
class InstanceCrashIT {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @Test
    void aKilledInstancesSlotsFreeUpWhenItsLeasesAreRescued() throws Exception {
        Path workDir = Files.createTempDirectory("spindle-crash");
        Lifecycle survivor = new Lifecycle();
        try (Backend backend = Backend.start().answer(Backend.after(Duration.ofMillis(1500), Backend.Reply.OK));
             TestDatabase.Fresh db = TestDatabase.fresh()) {
            int port = ChildProcess.freePort();
            try (ChildProcess doomed = ChildProcess.launch(workDir, Map.of(
                    "DB_URL", db.jdbcUrl(), "DB_USERNAME", db.username(), "DB_PASSWORD", db.password(),
                    "SERVER_PORT", Integer.toString(port), "DISPATCH_LEASE_dash_MARGIN", "PT1S"), List.of("-Xmx256m"))) {
                doomed.awaitReady(port, Duration.ofSeconds(60));
                assertThat(send(port, "PUT", "/v1/queues/crash", """
                        {"handler": {"type": "http", "backends": ["%s"], "timeout": "PT5S"}, "maxConcurrent": 5,
                         "retry": {"maxAttempts": 3, "minBackoff": "PT0S", "maxBackoff": "PT0S"}}
                        """.formatted(backend.uri()))).isEqualTo(201);
                StringBuilder body = new StringBuilder("{\"tasks\": [");
                for (int i = 0; i < 20; i++) {
                    body.append(i == 0 ? "" : ",").append("{\"payload\": ").append(i).append('}');
                }
                assertThat(send(port, "POST", "/v1/queues/crash/tasks/batch", body.append("]}").toString())).isEqualTo(201);
                backend.await(5, Duration.ofSeconds(10));
                // killed while its first five requests are in flight (each takes 1.5 s), before the survivor
                // starts, so that none of the queue's tasks can have finished or moved to the survivor
                doomed.process().destroyForcibly().waitFor();
                String dead = singleOwner(db);

                Spindle.start(SettingsChange.of(TestServer.settings(db.jdbcUrl(), db)).dispatch(new Settings.Dispatch(
                        16, 100, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(10),
                        Duration.ofMinutes(1), Settings.Dispatch.DEFAULTS.completionsPerWorker())).build(), survivor);

                try (Connection c = db.connect(); Statement st = c.createStatement()) {
                    // while the dead instance's leases hold, its five tasks fill the queue's slots
                    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
                        int held = count(st, "state = 'running' AND lease_owner = '" + dead + "'");
                        if (held > 0) {
                            assertThat(count(st, "state = 'running' AND lease_owner <> '" + dead + "'"))
                                    .as("tasks the survivor started while the dead instance's leases held").isZero();
                        }
                        return held == 0;
                    });
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                            .until(() -> count(st, "state = 'succeeded'") == 20);
                    assertThat(count(st, "attempts = 2")).as("the dead instance's attempts count").isEqualTo(5);
                }
                assertThat(backend.maxInFlight()).isLessThanOrEqualTo(5);
            } finally {
                survivor.close();
            }
        }
    }

    private static String singleOwner(TestDatabase.Fresh db) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT DISTINCT lease_owner FROM tasks WHERE state = 'running'")) {
            assertThat(rs.next()).isTrue();
            String owner = rs.getString(1);
            assertThat(rs.next()).as("only the doomed instance runs tasks").isFalse();
            return owner;
        }
    }

    private static int count(Statement st, String where) throws Exception {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM tasks WHERE queue = 'crash' AND " + where)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int send(int port, String method, String path, String json) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
