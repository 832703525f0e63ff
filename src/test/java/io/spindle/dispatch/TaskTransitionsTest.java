package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.task.DispatchStore;
import io.spindle.testing.Backend;
import io.spindle.testing.Exposition;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every transition of a task has all its effects, each once: its event on {@code tasks.{queue}}, its metric,
 * the long-polls it ends answered at once, and the dispatcher rung when the task is pending again. The server
 * polls only once an hour, so a task that starts again was started by a ring, not by the poll.
 */
class TaskTransitionsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Queue names no other test class uses: meters are per JVM, and test classes share one. */
    private static final String FLOW = unique("flow");
    private static final String FLAKY = unique("flaky");
    private static final String REFUSED = unique("refused");
    private static final String CANCEL = unique("cancel");
    private static final String REDRIVE = unique("redrive");
    private static final String RESCUED = unique("rescued");
    private static final String LAST = unique("last");
    static TestServer server;
    static Backend backend;

    @BeforeAll
    static void start() {
        backend = Backend.start();
        server = TestServer.start(s -> SettingsChange.of(s).dispatch(new Settings.Dispatch(
                16, 100, Duration.ofMillis(300), Duration.ofHours(1), Duration.ofSeconds(10), Duration.ofMinutes(1),
                s.dispatch().completionsPerWorker())).build());
    }

    @AfterAll
    static void stop() {
        server.close();
        backend.close();
    }

    @Test
    void createdStartedAndSucceededAreEachAnnouncedAndCountedOnce() throws Exception {
        createQueue(FLOW, "{}", false);
        try (TaskTopic topic = TaskTopic.open(FLOW)) {
            String id = enqueue(FLOW, "{\"payload\": 1}");
            assertThat(LongPoll.start(FLOW, id).answer().path("state").asText())
                    .as("started by the ring: the poll is an hour").isEqualTo("succeeded");
            assertThat(topic.upToSentinel(FLOW, id)).containsExactly("task.created", "task.started", "task.succeeded");
        }
        assertThat(counter("spindle_tasks_enqueued_total", FLOW, null)).isEqualTo(2.0); // with the sentinel
        assertThat(counter("spindle_tasks_started_total", FLOW, null)).isEqualTo(1.0);
        assertThat(counter("spindle_tasks_finished_total", FLOW, "succeeded")).isEqualTo(1.0);
    }

    @Test
    void aRetryingAttemptIsAnnouncedCountedAndRunsAgainAtOnce() throws Exception {
        Backend flaky = Backend.start().answer(Backend.sequence(Backend.Reply.status(503),
                                                               Backend.Reply.json(200, "{\"ok\":true}")));
        try (flaky) {
            assertThat(server.put("/v1/queues/" + FLAKY, """
                    {"handler": {"type": "http", "backends": ["%s"]}, "retry": {"minBackoff": "PT0S", "maxBackoff": "PT0S"}}
                    """.formatted(flaky.uri())).statusCode()).isEqualTo(201);
            try (TaskTopic topic = TaskTopic.open(FLAKY)) {
                String id = enqueue(FLAKY, "{\"payload\": 1}");
                JsonNode done = LongPoll.start(FLAKY, id).answer();
                assertThat(done.path("state").asText()).as("a retry does not end the long-poll").isEqualTo("succeeded");
                assertThat(done.path("attempts").asInt()).isEqualTo(2);
                assertThat(topic.upToSentinel(FLAKY, id)).containsExactly(
                        "task.created", "task.started", "task.retrying", "task.started", "task.succeeded");
            }
        }
        assertThat(counter("spindle_tasks_finished_total", FLAKY, "retried")).isEqualTo(1.0);
        assertThat(counter("spindle_tasks_finished_total", FLAKY, "succeeded")).isEqualTo(1.0);
        assertThat(counter("spindle_tasks_started_total", FLAKY, null)).isEqualTo(2.0);
    }

    @Test
    void aFailedAttemptIsAnnouncedCountedAndEndsItsLongPolls() throws Exception {
        Backend refusing = Backend.start();
        try (refusing) {
            refusing.answer(Backend.always(Backend.Reply.status(400)));
            assertThat(server.put("/v1/queues/" + REFUSED, """
                    {"handler": {"type": "http", "backends": ["%s"]}, "paused": true}
                    """.formatted(refusing.uri())).statusCode()).isEqualTo(201);
            try (TaskTopic topic = TaskTopic.open(REFUSED)) {
                String id = enqueue(REFUSED, "{\"payload\": 1}");
                LongPoll poll = LongPoll.start(REFUSED, id);
                assertThat(server.post("/v1/queues/" + REFUSED + "/resume", "").statusCode()).isEqualTo(200);
                JsonNode failed = poll.answer();
                assertThat(failed.path("state").asText()).isEqualTo("failed");
                assertThat(topic.upToSentinel(REFUSED, id)).containsExactly("task.created", "task.started", "task.failed");
            }
        }
        assertThat(counter("spindle_tasks_finished_total", REFUSED, "failed")).isEqualTo(1.0);
    }

    @Test
    void aCancelAnswersTheTasksLongPollsAtOnceAndIsCounted() throws Exception {
        createQueue(CANCEL, "{}", false);
        try (TaskTopic topic = TaskTopic.open(CANCEL)) {
            String id = enqueue(CANCEL, "{\"payload\": 1, \"delay\": \"PT1H\"}");
            LongPoll poll = LongPoll.start(CANCEL, id);

            assertThat(server.delete("/v1/queues/" + CANCEL + "/tasks/" + id).statusCode()).isEqualTo(200);

            assertThat(poll.answer().path("state").asText()).isEqualTo("cancelled");
            assertThat(topic.upToSentinel(CANCEL, id)).containsExactly("task.created", "task.cancelled");
        }
        assertThat(counter("spindle_tasks_finished_total", CANCEL, "cancelled")).isEqualTo(1.0);
    }

    @Test
    void aClientRetryIsAnnouncedCountedAndRingsTheDispatcher() throws Exception {
        createQueue(REDRIVE, "{}", false);
        try (TaskTopic topic = TaskTopic.open(REDRIVE)) {
            String id = enqueue(REDRIVE, "{\"payload\": 1, \"delay\": \"PT1H\"}");
            assertThat(server.delete("/v1/queues/" + REDRIVE + "/tasks/" + id).statusCode()).isEqualTo(200);

            assertThat(server.post("/v1/queues/" + REDRIVE + "/tasks/" + id + "/retry", "").statusCode()).isEqualTo(200);

            JsonNode ran = LongPoll.start(REDRIVE, id).answer();
            assertThat(ran.path("state").asText()).as("started by the ring: the poll is an hour").isEqualTo("succeeded");
            assertThat(topic.upToSentinel(REDRIVE, id)).containsExactly(
                    "task.created", "task.cancelled", "task.retrying", "task.started", "task.succeeded");
        }
        assertThat(counter("spindle_tasks_redriven_total", REDRIVE, null)).isEqualTo(1.0);
        assertThat(counter("spindle_tasks_finished_total", REDRIVE, "cancelled")).isEqualTo(1.0);
    }

    @Test
    void aRescuedLeaseIsAnnouncedCountedAndRunsAgainAtOnce() throws Exception {
        createQueue(RESCUED, "{\"minBackoff\": \"PT0S\", \"maxBackoff\": \"PT0S\"}", true);
        try (TaskTopic topic = TaskTopic.open(RESCUED)) {
            String id = enqueue(RESCUED, "{\"payload\": 1}");
            claimAsADeadInstance(RESCUED, Duration.ofMillis(200));
            assertThat(server.post("/v1/queues/" + RESCUED + "/resume", "").statusCode()).isEqualTo(200);

            JsonNode ran = LongPoll.start(RESCUED, id).answer();
            assertThat(ran.path("state").asText()).isEqualTo("succeeded");
            assertThat(ran.path("attempts").asInt()).as("the lost attempt counts").isEqualTo(2);
            assertThat(topic.upToSentinel(RESCUED, id)).containsExactly(
                    "task.created", "task.retrying", "task.started", "task.succeeded");
        }
        assertThat(counter("spindle_tasks_finished_total", RESCUED, "rescued")).isEqualTo(1.0);
    }

    @Test
    void aRescueOfTheLastAttemptFailsTheTaskAndEndsItsLongPolls() throws Exception {
        createQueue(LAST, "{\"maxAttempts\": 1}", true);
        try (TaskTopic topic = TaskTopic.open(LAST)) {
            String id = enqueue(LAST, "{\"payload\": 1}");
            claimAsADeadInstance(LAST, Duration.ofSeconds(1));
            LongPoll poll = LongPoll.start(LAST, id);

            JsonNode failed = poll.answer();
            assertThat(failed.path("state").asText()).isEqualTo("failed");
            assertThat(failed.path("lastError").asText()).contains("lease expired", "none left");
            assertThat(topic.upToSentinel(LAST, id)).containsExactly("task.created", "task.failed");
        }
        assertThat(counter("spindle_tasks_finished_total", LAST, "rescued")).isEqualTo(1.0);
    }

    private static String unique(String name) {
        return name + "-" + Long.toString(ProcessHandle.current().pid(), 36);
    }

    private static void createQueue(String name, String retry, boolean paused) {
        assertThat(server.put("/v1/queues/" + name, """
                {"handler": {"type": "http", "backends": ["%s"]}, "retry": %s, "paused": %s}
                """.formatted(backend.uri(), retry, paused)).statusCode()).isEqualTo(201);
    }

    private static String enqueue(String queue, String body) {
        var response = server.post("/v1/queues/" + queue + "/tasks", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return Json.parse(response.body()).path("id").asText();
    }

    /** Claims the queue's one task under {@code lease} for an instance that is never heard of again. */
    private static void claimAsADeadInstance(String queue, Duration lease) {
        Settings settings = TestServer.settings(server.database().jdbcUrl(), server.database());
        try (Database db = Database.open(settings.db(), server.database().jdbcUrl(), new SimpleMeterRegistry())) {
            assertThat(new DispatchStore(db, "dead-instance")
                               .claim(List.of(new DispatchStore.Want(queue, 10, lease)), 10)
                               .tasks()).hasSize(1);
        }
    }

    private static double counter(String name, String queue, String outcome) {
        return Exposition.sum(server.get("/observe/metrics").body(), name, "queue", queue, "outcome", outcome);
    }

    /** A {@code GET …?wait=PT60S} in flight; answered well before the minute only if something woke it. */
    private record LongPoll(CompletableFuture<HttpResponse<String>> response) {
        private static final HttpClient CLIENT = HttpClient.newHttpClient();

        static LongPoll start(String queue, String id) {
            return new LongPoll(CLIENT.sendAsync(
                    HttpRequest.newBuilder(server.uri("/v1/queues/" + queue + "/tasks/" + id + "?wait=PT60S")).GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }

        JsonNode answer() throws Exception {
            HttpResponse<String> answered = response.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(answered.statusCode()).isEqualTo(200);
            return Json.parse(answered.body());
        }
    }

    /** The event types of a queue's topic {@code tasks.{queue}}, as an SSE subscriber receives them. */
    private static final class TaskTopic implements AutoCloseable {
        private final LinkedBlockingQueue<String[]> events = new LinkedBlockingQueue<>();
        private final CompletableFuture<HttpResponse<Stream<String>>> stream;

        private TaskTopic(String queue) throws Exception {
            stream = HttpClient.newHttpClient().sendAsync(
                    HttpRequest.newBuilder(server.uri("/v1/topics/tasks." + queue + "/events")).GET().build(),
                    HttpResponse.BodyHandlers.ofLines());
            HttpResponse<Stream<String>> response = stream.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            Thread.ofVirtual().start(() -> {
                String[] type = {null};
                response.body().forEach(line -> {
                    if (line.startsWith("event:")) {
                        type[0] = line.substring("event:".length()).trim();
                    } else if (line.startsWith("data:") && type[0] != null) {
                        events.add(new String[] {type[0], line.substring("data:".length()).trim()});
                        type[0] = null;
                    }
                });
            });
        }

        static TaskTopic open(String queue) throws Exception {
            return new TaskTopic(queue);
        }

        /**
         * The types of task {@code id}'s events, read up to the creation of a sentinel task enqueued now (an
         * hour ahead): what the task was announced as, each event once, with nothing of it left in transit.
         */
        List<String> upToSentinel(String queue, String id) throws InterruptedException {
            awaitQuiet(queue, id);
            String sentinel = enqueue(queue, "{\"payload\": \"sentinel\", \"delay\": \"PT1H\"}");
            List<String> types = new ArrayList<>();
            while (true) {
                String[] event = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(event).as("events of task %s so far: %s", id, types).isNotNull();
                String of = Json.parse(event[1]).path("id").asText();
                if (of.equals(sentinel)) {
                    return types;
                }
                if (of.equals(id)) {
                    types.add(event[0]);
                }
            }
        }

        /** Waits until the task is finished, so that all its transitions are behind us. */
        private static void awaitQuiet(String queue, String id) {
            await().atMost(WAIT).until(() -> List.of("succeeded", "failed", "cancelled").contains(
                    Json.parse(server.get("/v1/queues/" + queue + "/tasks/" + id).body()).path("state").asText()));
        }

        @Override
        public void close() {
            stream.thenAccept(response -> response.body().close());
        }
    }
}
