package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.task.AttemptEnd;
import io.spindle.task.Completion;
import io.spindle.task.DispatchStore;
import io.spindle.task.Task;
import io.spindle.testing.Backend;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An instance that claims tasks and dies without cleaning up (here: a dispatcher that claims through the store
 * and is never heard of again) loses them to the lease reaper of a live instance, which runs them again; the
 * dead attempt's late result is ignored.
 */
class LeaseRescueTest {
    static TestServer server;
    static Backend sink;

    @BeforeAll
    static void start() throws Exception {
        sink = Backend.start();
        server = TestServer.start(s -> SettingsChange.of(s).dispatch(new Settings.Dispatch(
                16, 100, Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(1),
                s.dispatch().completionsPerWorker())).build());
    }

    @AfterAll
    static void stop() {
        server.close();
        sink.close();
    }

    @Test
    void tasksOfADeadInstanceRunAgainAfterTheirLeaseExpires() throws Exception {
        assertThat(server.put("/v1/queues/rescue", """
                {"handler": {"type": "http", "backends": ["%s"]}, "paused": true}
                """.formatted(sink.uri())).statusCode()).isEqualTo(201);
        String id = Json.parse(server.post("/v1/queues/rescue/tasks", "{\"payload\": 7}").body()).path("id").asText();

        Settings settings = TestServer.settings(server.database().jdbcUrl(), server.database());
        try (Database db = Database.open(settings.db(), server.database().jdbcUrl(),
                                         new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            DispatchStore dead = new DispatchStore(db, "dead-instance");
            List<Task> claimed = dead.claim(List.of(new DispatchStore.Want("rescue", 10, Duration.ofMillis(500))), 10).tasks();
            assertThat(claimed).extracting(Task::id).containsExactly(Long.parseLong(id));
            assertThat(state(id)).isEqualTo("running");

            assertThat(server.post("/v1/queues/rescue/resume", "").statusCode()).isEqualTo(200);
            var done = Json.parse(server.get("/v1/queues/rescue/tasks/" + id + "?wait=PT10S").body());
            assertThat(done.path("state").asText()).isEqualTo("succeeded");
            assertThat(done.path("attempts").asInt()).as("the lost attempt counts").isEqualTo(2);
            assertThat(sink.deliveries()).containsEntry(id, 1);

            List<Task> late = dead.complete(List.of(Completion.of(
                    claimed.getFirst(), new AttemptEnd.Failed("late result of a dead attempt"))));
            assertThat(late).as("a stale attempt's result is ignored").isEmpty();
            assertThat(state(id)).isEqualTo("succeeded");
        }
    }

    @Test
    void aTaskWhoseLastAttemptIsLostFails() throws Exception {
        assertThat(server.put("/v1/queues/last", """
                {"handler": {"type": "http", "backends": ["%s"]}, "paused": true, "retry": {"maxAttempts": 1}}
                """.formatted(sink.uri())).statusCode()).isEqualTo(201);
        String id = Json.parse(server.post("/v1/queues/last/tasks", "{\"payload\": 1}").body()).path("id").asText();
        Settings settings = TestServer.settings(server.database().jdbcUrl(), server.database());
        try (Database db = Database.open(settings.db(), server.database().jdbcUrl(),
                                         new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
            new DispatchStore(db, "dead-instance").claim(List.of(new DispatchStore.Want("last", 1, Duration.ofMillis(200))), 1);
        }
        var done = Json.parse(server.get("/v1/queues/last/tasks/" + id + "?wait=PT10S").body());
        assertThat(done.path("state").asText()).isEqualTo("failed");
        assertThat(done.path("lastError").asText()).contains("lease expired");
        assertThat(sink.deliveries()).doesNotContainKey(id);
    }

    private static String state(String id) {
        return Json.parse(server.get("/v1/queues/rescue/tasks/" + id).body()).path("state").asText();
    }
}
