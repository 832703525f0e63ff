package io.spindle.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.testing.Backend;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Task transitions are announced on {@code tasks.{queue}} (without payload and result), and the {@code topic}
 * handler publishes a task's payload when the task is due: scheduled notifications.
 */
class TaskEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    static TestServer server;
    static Backend sink;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        sink = Backend.start();
    }

    @AfterAll
    static void stop() {
        server.close();
        sink.close();
    }

    @Test
    void eachTransitionOfATaskIsAnEventWithoutPayloadOrResult() {
        assertThat(server.put("/v1/queues/watched", """
                {"handler": {"type": "http", "backends": ["%s"]}}""".formatted(sink.uri())).statusCode()).isEqualTo(201);
        try (SseClient events = SseClient.open(server.port(), "/v1/topics/tasks.watched/events", null)) {
            assertThat(events.status()).isEqualTo(200);
            String id = Json.parse(server.post("/v1/queues/watched/tasks", "{\"payload\": {\"secret\": 1}}").body())
                    .path("id").asText();

            List<SseClient.Received> received = events.next(3, WAIT);
            assertThat(received).extracting(SseClient.Received::event)
                    .containsExactly("task.created", "task.started", "task.succeeded");
            for (SseClient.Received event : received) {
                JsonNode data = Json.parse(event.data());
                assertThat(data.path("id").asText()).isEqualTo(id);
                assertThat(data.has("payload")).isFalse();
                assertThat(data.has("result")).isFalse();
            }
            assertThat(Json.parse(received.get(2).data()).path("state").asText()).isEqualTo("succeeded");

            String cancelled = Json.parse(server.post("/v1/queues/watched/tasks",
                    "{\"payload\": 2, \"delay\": \"PT1H\"}").body()).path("id").asText();
            assertThat(server.delete("/v1/queues/watched/tasks/" + cancelled).statusCode()).isEqualTo(200);
            assertThat(events.next(2, WAIT)).extracting(SseClient.Received::event)
                    .containsExactly("task.created", "task.cancelled");
        }
    }

    @Test
    void aDelayedTaskOfATopicQueueNotifiesItsSubscribersWhenDue() {
        assertThat(server.put("/v1/queues/reminders", """
                {"handler": {"type": "topic", "topic": "users.ada"}}""").statusCode()).isEqualTo(201);
        try (SseClient notifications = SseClient.open(server.port(), "/v1/users/ada/notifications", null)) {
            assertThat(notifications.status()).isEqualTo(200);
            Instant enqueued = Instant.now();
            var response = server.post("/v1/queues/reminders/tasks", "{\"payload\": {\"text\": \"stand up\"}, \"delay\": \"PT1S\"}");
            assertThat(response.statusCode()).isEqualTo(201);

            SseClient.Received event = notifications.next(WAIT);
            Duration after = Duration.between(enqueued, Instant.now());
            assertThat(event.event()).isEqualTo("task.payload");
            assertThat(Json.parse(event.data())).isEqualTo(Json.parse("{\"text\": \"stand up\"}"));
            assertThat(after).as("not before the task is due").isGreaterThanOrEqualTo(Duration.ofMillis(950));

            String id = Json.parse(response.body()).path("id").asText();
            JsonNode task = Json.parse(server.get("/v1/queues/reminders/tasks/" + id + "?wait=PT5S").body());
            assertThat(task.path("state").asText()).isEqualTo("succeeded");
            assertThat(task.path("result").path("topic").asText()).isEqualTo("users.ada");
        }
    }

    @Test
    void aTaskCreatedByAScheduleIsAnnouncedAsAnyCreatedTask() {
        assertThat(server.put("/v1/queues/timed", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}").statusCode())
                .isEqualTo(201);
        try (SseClient events = SseClient.open(server.port(), "/v1/topics/tasks.timed/events", null)) {
            assertThat(events.status()).isEqualTo(200);
            assertThat(server.put("/v1/queues/timed/schedules/tick", "{\"every\": \"PT1S\"}").statusCode()).isEqualTo(201);
            SseClient.Received created = events.next(WAIT);
            assertThat(created.event()).isEqualTo("task.created");
            JsonNode data = Json.parse(created.data());
            assertThat(data.path("schedule").asText()).isEqualTo("tick");
            assertThat(data.path("key").asText()).startsWith("schedule:tick:");
            assertThat(server.delete("/v1/queues/timed/schedules/tick").statusCode()).isEqualTo(204);
        }
    }

    @Test
    void clientsCannotPublishOnTaskTopics() {
        var response = server.post("/v1/topics/tasks.watched/events", "{\"type\": \"task.succeeded\", \"data\": {}}");
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }
}
