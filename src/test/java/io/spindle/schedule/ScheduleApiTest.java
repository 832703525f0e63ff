package io.spindle.schedule;

import static io.spindle.testing.Problems.assertInvalid;
import static io.spindle.testing.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/queues/{q}/schedules} over HTTP: create, replace, read with {@code nextRuns} and {@code lastRun}, list,
 * delete; every bad field a 400 naming it; pause and resume by {@code catchUp}; a deleted queue takes its schedules;
 * the tasks created show their schedule, and the fires are counted.
 */
class ScheduleApiTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        assertThat(server.put("/v1/queues/api", "{\"handler\": {\"type\": \"log\"}}").statusCode()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static List<Instant> nextRuns(JsonNode schedule) {
        List<Instant> runs = new ArrayList<>();
        schedule.path("nextRuns").forEach(run -> runs.add(Instant.parse(run.asText())));
        return runs;
    }

    @Test
    void aScheduleIsCreatedReadListedReplacedAndDeleted() {
        var created = server.put("/v1/queues/api/schedules/nightly", """
                {"cron": "30 2 * * *", "timezone": "Europe/Berlin", "payload": {"kind": "nightly"}, "priority": 5}""");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValue("/v1/queues/api/schedules/nightly");
        JsonNode body = Json.parse(created.body());
        assertThat(body.path("name").asText()).isEqualTo("nightly");
        assertThat(body.path("queue").asText()).isEqualTo("api");
        assertThat(body.path("cron").asText()).isEqualTo("30 2 * * *");
        assertThat(body.has("every")).isFalse();
        assertThat(body.path("timezone").asText()).isEqualTo("Europe/Berlin");
        assertThat(body.path("payload")).isEqualTo(Json.parse("{\"kind\": \"nightly\"}"));
        assertThat(body.path("priority").asInt()).isEqualTo(5);
        assertThat(body.path("catchUp").asText()).isEqualTo("none");
        assertThat(body.path("paused").asBoolean()).isFalse();
        assertThat(body.path("lastRun").isNull()).isTrue();
        List<Instant> runs = nextRuns(body);
        assertThat(runs).hasSize(5).isSorted().allSatisfy(run -> assertThat(run).isAfter(Instant.now()));
        assertThat(runs.get(1)).isBetween(runs.get(0).plus(Duration.ofHours(23)), runs.get(0).plus(Duration.ofHours(25)));

        assertThat(Json.parse(server.get("/v1/queues/api/schedules/nightly").body())).isEqualTo(body);
        var replaced = server.put("/v1/queues/api/schedules/nightly", "{\"every\": \"PT1H\", \"catchUp\": \"last\"}");
        assertThat(replaced.statusCode()).isEqualTo(200);
        JsonNode now = Json.parse(replaced.body());
        assertThat(now.path("every").asText()).isEqualTo("PT1H");
        assertThat(now.path("timezone").asText()).isEqualTo("UTC");
        assertThat(now.path("payload").isNull()).isTrue();
        assertThat(now.path("catchUp").asText()).isEqualTo("last");
        assertThat(Duration.between(nextRuns(now).get(0), nextRuns(now).get(1))).isEqualTo(Duration.ofHours(1));

        JsonNode list = Json.parse(server.get("/v1/queues/api/schedules").body());
        assertThat(list.path("items").findValuesAsText("name")).contains("nightly");
        assertThat(server.delete("/v1/queues/api/schedules/nightly").statusCode()).isEqualTo(204);
        assertProblem(server.get("/v1/queues/api/schedules/nightly"), 404);
        assertProblem(server.delete("/v1/queues/api/schedules/nightly"), 404);
        assertProblem(server.get("/v1/queues/nowhere/schedules"), 404);
        assertProblem(server.put("/v1/queues/nowhere/schedules/x", "{\"every\": \"PT1H\"}"), 404);
    }

    @Test
    void eachBadFieldIsA400NamingIt() {
        String path = "/v1/queues/api/schedules/bad";
        assertInvalid(server.put(path, "{\"cron\": \"61 * * * *\"}"), "cron");
        assertInvalid(server.put(path, "{\"cron\": \"* * * *\"}"), "cron");
        assertInvalid(server.put(path, "{\"cron\": \"0 0 31 2 *\"}"), "cron");
        assertInvalid(server.put(path, "{\"cron\": 5}"), "cron");
        assertInvalid(server.put(path, "{\"every\": \"PT0.5S\"}"), "every");
        assertInvalid(server.put(path, "{\"every\": \"often\"}"), "every");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"every\": \"PT1M\"}"), "every");
        assertInvalid(server.put(path, "{\"payload\": 1}"), "cron");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"timezone\": \"Mars/Olympus\"}"), "timezone");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"timezone\": \"+02:00\"}"), "timezone");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"catchUp\": \"all\"}"), "catchUp");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"priority\": 101}"), "priority");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"name\": \"other\"}"), "name");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"queue\": \"other\"}"), "queue");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"colour\": \"red\"}"), "colour");
        assertInvalid(server.put(path, "{\"cron\": \"@daily\", \"payload\": \"" + "x".repeat(300_000) + "\"}"), "payload");
        assertInvalid(server.put("/v1/queues/api/schedules/no%20spaces", "{\"cron\": \"@daily\"}"), "schedule");
        assertProblem(server.put(path, "{\"cron\": "), 400);
        assertProblem(server.get(path), 404); // nothing was stored
    }

    @Test
    void pauseStopsFiresAndResumeGoesOnByCatchUp() throws Exception {
        for (String name : List.of("skip", "last")) {
            String catchUp = name.equals("skip") ? "none" : "last";
            assertThat(server.put("/v1/queues/api/schedules/" + name,
                    "{\"every\": \"PT1S\", \"catchUp\": \"" + catchUp + "\"}").statusCode()).isEqualTo(201);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> !fired("skip").isEmpty() && !fired("last").isEmpty());
        for (String name : List.of("skip", "last")) {
            JsonNode paused = Json.parse(server.post("/v1/queues/api/schedules/" + name + "/pause", "").body());
            assertThat(paused.path("paused").asBoolean()).isTrue();
            assertThat(paused.path("nextRuns").size()).as("a paused schedule has no next runs").isZero();
        }
        Instant pausedAt = Instant.now();
        int skipBefore = fired("skip").size();
        int lastBefore = fired("last").size();
        await().pollDelay(Duration.ofMillis(3200)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(fired("skip")).as("none while paused").hasSize(skipBefore);
        assertThat(fired("last")).as("none while paused").hasSize(lastBefore);
        assertThat(fired("last").getLast()).isBefore(pausedAt);

        Instant resumedAt = Instant.now();
        for (String name : List.of("skip", "last")) {
            JsonNode resumed = Json.parse(server.post("/v1/queues/api/schedules/" + name + "/resume", "").body());
            assertThat(resumed.path("paused").asBoolean()).isFalse();
        }
        Instant resumeAnswered = Instant.now();
        await().atMost(Duration.ofSeconds(5)).until(() -> fired("skip").size() > skipBefore + 1
                && fired("last").size() > lastBefore + 1);
        List<Instant> skip = fired("skip").subList(skipBefore, fired("skip").size());
        List<Instant> last = fired("last").subList(lastBefore, fired("last").size());
        assertThat(skip.getFirst()).as("none: the fire times of the pause are skipped").isAfter(resumedAt);
        assertThat(last.getFirst()).as("last: one task for the latest fire time of the pause")
                .isBetween(resumedAt.minusSeconds(1), resumeAnswered);
        assertThat(last.get(1)).isAfter(resumedAt);
        for (String name : List.of("skip", "last")) {
            assertThat(server.delete("/v1/queues/api/schedules/" + name).statusCode()).isEqualTo(204);
        }
    }

    @Test
    void aTaskOfAScheduleShowsItAndTheFiresAreCounted() {
        assertThat(server.put("/v1/queues/api/schedules/tick", "{\"every\": \"PT1S\", \"payload\": [1, 2]}").statusCode())
                .isEqualTo(201);
        await().atMost(Duration.ofSeconds(5)).until(() -> !Json.parse(server.get("/v1/queues/api/schedules/tick").body())
                .path("lastRun").isNull());
        assertThat(server.post("/v1/queues/api/schedules/tick/pause", "").statusCode()).isEqualTo(200);
        JsonNode lastRun = Json.parse(server.get("/v1/queues/api/schedules/tick").body()).path("lastRun");
        JsonNode task = Json.parse(server.get("/v1/queues/api/tasks/" + lastRun.path("taskId").asText()).body());
        assertThat(task.path("schedule").asText()).isEqualTo("tick");
        assertThat(task.path("key").asText()).isEqualTo("schedule:tick:" + lastRun.path("at").asText());
        assertThat(task.path("payload")).isEqualTo(Json.parse("[1, 2]"));
        JsonNode enqueued = Json.parse(server.post("/v1/queues/api/tasks", "{\"payload\": 1}").body());
        assertThat(enqueued.has("schedule")).isTrue();
        assertThat(enqueued.path("schedule").isNull()).as("an enqueued task has no schedule").isTrue();

        String metrics = server.get("/observe/metrics").body();
        assertThat(metrics).containsPattern("spindle_schedule_fires_total\\{queue=\"api\",schedule=\"tick\",?} [1-9]");
        assertThat(metrics).contains("spindle_schedule_lateness_seconds_bucket{queue=\"api\"");
        assertThat(server.delete("/v1/queues/api/schedules/tick").statusCode()).isEqualTo(204);
    }

    @Test
    void aScheduleOfAQueueThatBoundsKeysHasItsTasksRun() {
        assertThat(server.put("/v1/queues/keyed", "{\"handler\": {\"type\": \"log\"}, \"keyConcurrency\": 1}")
                .statusCode()).isEqualTo(201);
        assertThat(server.put("/v1/queues/keyed/schedules/tick", "{\"every\": \"PT1S\"}").statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> Json.parse(server.get("/v1/queues/keyed").body())
                .path("stats").path("succeeded").asLong() >= 1);
        assertThat(server.delete("/v1/queues/keyed/schedules/tick").statusCode()).isEqualTo(204);
    }

    @Test
    void deletingAQueueDeletesItsSchedules() throws Exception {
        assertThat(server.put("/v1/queues/doomed", "{\"handler\": {\"type\": \"log\"}}").statusCode()).isEqualTo(201);
        assertThat(server.put("/v1/queues/doomed/schedules/yearly", "{\"cron\": \"@yearly\"}").statusCode()).isEqualTo(201);
        assertThat(server.delete("/v1/queues/doomed").statusCode()).isEqualTo(204);
        try (Connection c = server.database().connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM schedules WHERE queue = 'doomed'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
        assertProblem(server.get("/v1/queues/doomed/schedules/yearly"), 404);
        assertThat(server.put("/v1/queues/doomed", "{\"handler\": {\"type\": \"log\"}}").statusCode()).isEqualTo(201);
        assertThat(Json.parse(server.get("/v1/queues/doomed/schedules").body()).path("items").size()).isZero();
    }

    @Test
    void aQueueHoldsAtMostAThousandSchedules() throws Exception {
        assertThat(server.put("/v1/queues/crowded", "{\"handler\": {\"type\": \"log\"}}").statusCode()).isEqualTo(201);
        try (Connection c = server.database().connect(); Statement st = c.createStatement()) {
            st.execute("""
                    INSERT INTO schedules (queue, name, cron, timezone, payload, priority, catch_up, next_fire)
                    SELECT 'crowded', 's' || n, '@yearly', 'UTC', 'null', 0, 'none', '2100-01-01T00:00:00Z'
                    FROM generate_series(1, %d) AS n""".formatted(Schedules.MAX_PER_QUEUE));
        }
        JsonNode refused = assertProblem(server.put("/v1/queues/crowded/schedules/one-more", "{\"cron\": \"@daily\"}"), 409);
        assertThat(refused.path("detail").asText()).contains("crowded").contains("1000");
        assertThat(server.put("/v1/queues/crowded/schedules/s1", "{\"cron\": \"@daily\"}").statusCode())
                .as("replacing one is not adding one").isEqualTo(200);
        assertThat(Json.parse(server.get("/v1/queues/crowded/schedules").body()).path("items").size())
                .isEqualTo(Schedules.MAX_PER_QUEUE);
        assertThat(server.delete("/v1/queues/crowded").statusCode()).isEqualTo(204);
    }

    private static List<Instant> fired(String schedule) {
        return ScheduledTasks.fireTimes(server.database(), "api", schedule);
    }
}
