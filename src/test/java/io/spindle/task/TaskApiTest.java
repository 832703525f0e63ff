package io.spindle.task;

import static io.spindle.testing.Problems.assertInvalid;
import static io.spindle.testing.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.testing.Backend;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The task endpoints of SPEC §3 (enqueue, batch, read with long-poll, list, cancel, retry) and the error
 * contract of SPEC §7 for them, against a real server, database and loopback backend.
 */
class TaskApiTest {
    private static final int MAX_PAYLOAD = 256 * 1024;

    static TestServer server;
    static Backend backend;
    static final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
    /** Every response of the class: none may be a 5xx, every error must be a problem document. */
    static final List<HttpResponse<String>> responses = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        server = TestServer.start();
        backend = Backend.start();
    }

    @AfterAll
    static void stop() {
        background.shutdownNow();
        server.close();
        backend.close();
    }

    @AfterEach
    void everyErrorIsAProblemAndNoneIsAServerError() {
        assertThat(responses).as("no input may make the service answer 5xx")
                .noneMatch(r -> r.statusCode() >= 500);
        for (HttpResponse<String> r : responses) {
            if (r.statusCode() >= 400) {
                assertThat(r.headers().firstValue("Content-Type")).as("%s %s -> %d %s", r.request().method(),
                                                                       r.request().uri(), r.statusCode(), r.body())
                        .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
            }
        }
    }

    // ---- enqueue one ------------------------------------------------------------------------------------

    @Test
    void enqueueAnswers201WithLocationAndTheStoredTask() {
        queue("fields", """
                {"handler": {"type": "log"}, "retry": {"maxAttempts": 7}, "paused": true}
                """);
        Instant before = Instant.now();

        var response = post("/v1/queues/fields/tasks", """
                {"payload": {"to": "a@example.com", "n": [1, 2.5, {"x": null}], "s": "é✓"}}
                """);

        Instant after = Instant.now();
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode task = Json.parse(response.body());
        assertThat(task.path("id").isTextual()).as("id is a string: %s", task).isTrue();
        String id = task.path("id").asText();
        assertThat(id).isNotBlank();
        assertThat(response.headers().firstValue("Location")).contains("/v1/queues/fields/tasks/" + id);
        assertThat(task.path("queue").asText()).isEqualTo("fields");
        assertThat(task.path("state").asText()).isEqualTo("pending");
        assertThat(task.path("payload"))
                .isEqualTo(Json.parse("{\"to\": \"a@example.com\", \"n\": [1, 2.5, {\"x\": null}], \"s\": \"é✓\"}"));
        assertThat(task.path("priority").isInt()).isTrue();
        assertThat(task.path("priority").asInt()).isZero();
        Instant runAt = rfc3339(task.path("runAt"));
        assertThat(runAt).isBetween(before.minusSeconds(1), after.plusSeconds(1));
        assertThat(task.path("attempts").asInt()).isZero();
        assertThat(task.path("maxAttempts").asInt()).as("default from the queue's retry.maxAttempts").isEqualTo(7);
        assertThat(task.path("key").isNull()).isTrue();
        assertThat(task.path("lastError").isNull()).isTrue();
        assertThat(task.path("result").isNull()).isTrue();
        assertThat(rfc3339(task.path("createdAt"))).isBetween(before.minusSeconds(1), after.plusSeconds(1));
        assertThat(rfc3339(task.path("updatedAt"))).isBetween(before.minusSeconds(1), after.plusSeconds(1));
        assertThat(task.path("finishedAt").isNull()).isTrue();

        var read = get(response.headers().firstValue("Location").orElseThrow());
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(Json.parse(read.body())).isEqualTo(task);
    }

    @Test
    void enqueueKeepsWhatTheClientSet() {
        queue("explicit", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        Instant at = Instant.parse("2031-01-02T03:04:05Z");

        var response = post("/v1/queues/explicit/tasks", """
                {"payload": "text", "priority": -7, "maxAttempts": 2, "key": "order-7", "runAt": "2031-01-02T03:04:05Z"}
                """);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        JsonNode task = Json.parse(response.body());
        assertThat(task.path("payload").asText()).isEqualTo("text");
        assertThat(task.path("priority").asInt()).isEqualTo(-7);
        assertThat(task.path("maxAttempts").asInt()).isEqualTo(2);
        assertThat(task.path("key").asText()).isEqualTo("order-7");
        assertThat(rfc3339(task.path("runAt"))).isEqualTo(at);
    }

    @Test
    void aResentBatchGetsBackTheTasksThatHoldItsKeysAndCreatesOnlyTheNewOnes() {
        queue("rebatch", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        var first = post("/v1/queues/rebatch/tasks/batch",
                         "{\"tasks\": [{\"payload\": 1, \"key\": \"a\"}, {\"payload\": 2, \"key\": \"b\"}]}");
        assertThat(first.statusCode()).isEqualTo(201);
        JsonNode held = Json.parse(first.body()).path("items");

        var again = post("/v1/queues/rebatch/tasks/batch", """
                {"tasks": [{"payload": 9, "key": "b"}, {"payload": 3, "key": "c"}, {"payload": 8, "key": "a"}]}""");
        assertThat(again.statusCode()).isEqualTo(201);
        JsonNode items = Json.parse(again.body()).path("items");
        assertThat(items.get(0).path("id")).isEqualTo(held.get(1).path("id"));
        assertThat(items.get(0).path("payload").asInt()).as("the holder of key b, unchanged").isEqualTo(2);
        assertThat(items.get(1).path("key").asText()).isEqualTo("c");
        assertThat(items.get(2).path("id")).isEqualTo(held.get(0).path("id"));
        assertThat(Json.parse(server.get("/v1/queues/rebatch/tasks").body()).path("items")).hasSize(3);
    }

    @Test
    void aKeyInTheBodyOrTheHeaderDeduplicates() {
        queue("dedupe", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");

        var first = post("/v1/queues/dedupe/tasks", "{\"payload\": 1, \"key\": \"order-42\"}");
        var second = post("/v1/queues/dedupe/tasks", "{\"payload\": 2, \"key\": \"order-42\"}");
        var byHeader = postWithKey("/v1/queues/dedupe/tasks", "order-42", "{\"payload\": 3}");

        assertThat(first.statusCode()).isEqualTo(201);
        String id = Json.parse(first.body()).path("id").asText();
        for (var again : List.of(second, byHeader)) {
            assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
            JsonNode task = Json.parse(again.body());
            assertThat(task.path("id").asText()).isEqualTo(id);
            assertThat(task.path("payload").asInt()).as("the original task, unchanged").isEqualTo(1);
            assertThat(again.headers().firstValue("Location")).as("nothing was created").isEmpty();
        }

        var headerFirst = postWithKey("/v1/queues/dedupe/tasks", "order-43", "{\"payload\": 4}");
        var headerAgain = postWithKey("/v1/queues/dedupe/tasks", "order-43", "{\"payload\": 5}");
        var bodyAndHeader = postWithKey("/v1/queues/dedupe/tasks", "order-43", "{\"payload\": 6, \"key\": \"order-43\"}");
        assertThat(headerFirst.statusCode()).isEqualTo(201);
        JsonNode created = Json.parse(headerFirst.body());
        assertThat(created.path("key").asText()).isEqualTo("order-43");
        assertThat(headerAgain.statusCode()).isEqualTo(200);
        assertThat(bodyAndHeader.statusCode()).isEqualTo(200);
        assertThat(Json.parse(headerAgain.body()).path("id")).isEqualTo(created.path("id"));
        assertThat(Json.parse(bodyAndHeader.body()).path("id")).isEqualTo(created.path("id"));

        assertThat(ids("/v1/queues/dedupe/tasks")).as("two keys, two tasks").hasSize(2);

        // keys belong to a queue
        queue("dedupe-other", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        var elsewhere = post("/v1/queues/dedupe-other/tasks", "{\"payload\": 1, \"key\": \"order-42\"}");
        assertThat(elsewhere.statusCode()).isEqualTo(201);
        assertThat(Json.parse(elsewhere.body()).path("id").asText()).isNotEqualTo(id);
    }

    @Test
    void aKeyThatDiffersFromTheHeaderIsRefused() {
        queue("key-clash", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");

        assertInvalid(postWithKey("/v1/queues/key-clash/tasks", "a", "{\"payload\": 1, \"key\": \"b\"}"), "key");
        assertInvalid(post("/v1/queues/key-clash/tasks", "{\"payload\": 1, \"key\": \"\"}"), "key");
        assertInvalid(post("/v1/queues/key-clash/tasks", "{\"payload\": 1, \"key\": \"" + "k".repeat(257) + "\"}"), "key");
        assertInvalid(postWithKey("/v1/queues/key-clash/tasks", "k".repeat(257), "{\"payload\": 1}"), "Idempotency-Key");
        assertThat(ids("/v1/queues/key-clash/tasks")).isEmpty();
    }

    @Test
    void delayAndRunAtExcludeEachOther() {
        queue("when", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");

        assertInvalid(post("/v1/queues/when/tasks", """
                {"payload": 1, "delay": "PT10S", "runAt": "2031-01-01T00:00:00Z"}
                """), "runAt");
        assertInvalid(post("/v1/queues/when/tasks", "{\"payload\": 1, \"delay\": \"ten seconds\"}"), "delay");
        assertInvalid(post("/v1/queues/when/tasks", "{\"payload\": 1, \"runAt\": \"tomorrow\"}"), "runAt");
        assertThat(ids("/v1/queues/when/tasks")).isEmpty();
    }

    @Test
    void aDelayedTaskIsPendingWithALaterRunAtAndCountsAsScheduled() {
        queue("later", "{\"handler\": {\"type\": \"log\"}}");
        Instant before = Instant.now();

        var response = post("/v1/queues/later/tasks", "{\"payload\": 1, \"delay\": \"PT1H\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        JsonNode task = Json.parse(response.body());
        assertThat(task.path("state").asText()).isEqualTo("pending");
        assertThat(rfc3339(task.path("runAt")))
                .isBetween(before.plus(Duration.ofMinutes(59)), Instant.now().plus(Duration.ofMinutes(61)));
        JsonNode stats = Json.parse(get("/v1/queues/later").body()).path("stats");
        assertThat(stats.path("scheduled").asInt()).isEqualTo(1);
        assertThat(stats.path("pending").asInt()).as("pending counts due tasks only").isZero();
        assertThat(Json.parse(get(location(task)).body()).path("state").asText()).isEqualTo("pending");
    }

    @ParameterizedTest
    @ValueSource(strings = {"101", "-101", "1000", "\"high\"", "1.5"})
    void aPriorityOutOfRangeIsRefused(String priority) {
        queue("prio", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        assertInvalid(post("/v1/queues/prio/tasks", "{\"payload\": 1, \"priority\": " + priority + "}"), "priority");
    }

    @Test
    void theEdgesOfThePriorityRangeAreAccepted() {
        queue("prio-edges", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        for (int priority : new int[] {-100, 100}) {
            var response = post("/v1/queues/prio-edges/tasks", "{\"payload\": 1, \"priority\": " + priority + "}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
            assertThat(Json.parse(response.body()).path("priority").asInt()).isEqualTo(priority);
        }
    }

    @Test
    void aTaskWithoutPayloadIsRefused() {
        queue("no-payload", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");

        assertInvalid(post("/v1/queues/no-payload/tasks", "{\"priority\": 1}"), "payload");
        assertInvalid(post("/v1/queues/no-payload/tasks", "{}"), "payload");
        assertInvalid(post("/v1/queues/no-payload/tasks", "{\"payload\": 1, \"colour\": \"red\"}"), "colour");
        assertProblem(post("/v1/queues/no-payload/tasks", "{\"payload\": "), 400);
        assertProblem(post("/v1/queues/no-payload/tasks", "[]"), 400);
        assertThat(ids("/v1/queues/no-payload/tasks")).isEmpty();
    }

    @Test
    void aPayloadOver256KiBIs413EvenInABodyUnder1MiB() {
        queue("big", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        // a JSON string of n characters is n + 2 bytes
        String atLimit = "x".repeat(MAX_PAYLOAD - 2);
        String overLimit = "x".repeat(MAX_PAYLOAD - 1);

        var accepted = post("/v1/queues/big/tasks", "{\"payload\": \"" + atLimit + "\"}");
        var refused = post("/v1/queues/big/tasks", "{\"payload\": \"" + overLimit + "\"}");
        var farOver = post("/v1/queues/big/tasks", "{\"payload\": \"" + "y".repeat(600 * 1024) + "\"}");
        var inBatch = post("/v1/queues/big/tasks/batch",
                           "{\"tasks\": [{\"payload\": 1}, {\"payload\": \"" + overLimit + "\"}]}");

        assertThat(accepted.statusCode()).as("exactly 256 KiB is allowed").isEqualTo(201);
        assertProblem(refused, 413);
        assertProblem(farOver, 413);
        assertProblem(inBatch, 413);
        assertThat(ids("/v1/queues/big/tasks")).hasSize(1);
    }

    @Test
    void anUnknownQueueIs404AndABadQueueNameIs400() {
        assertProblem(post("/v1/queues/nowhere/tasks", "{\"payload\": 1}"), 404);
        assertProblem(post("/v1/queues/nowhere/tasks/batch", "{\"tasks\": [{\"payload\": 1}]}"), 404);
        assertProblem(get("/v1/queues/nowhere/tasks"), 404);
        assertProblem(get("/v1/queues/nowhere/tasks/1"), 404);
        assertProblem(delete("/v1/queues/nowhere/tasks/1"), 404);
        assertProblem(post("/v1/queues/nowhere/tasks/1/retry", ""), 404);

        assertInvalid(post("/v1/queues/bad.name/tasks", "{\"payload\": 1}"), "name");
        assertInvalid(post("/v1/queues/bad.name/tasks/batch", "{\"tasks\": [{\"payload\": 1}]}"), "name");
        assertInvalid(get("/v1/queues/bad.name/tasks"), "name");
        assertInvalid(post("/v1/queues/" + "q".repeat(65) + "/tasks", "{\"payload\": 1}"), "name");
    }

    // ---- batch ------------------------------------------------------------------------------------------

    @Test
    void aBatchIsStoredWholeAndAnsweredInOrder() {
        queue("batch", "{\"handler\": {\"type\": \"log\"}, \"retry\": {\"maxAttempts\": 4}, \"paused\": true}");

        var response = post("/v1/queues/batch/tasks/batch", """
                {"tasks": [{"payload": "a", "priority": 5}, {"payload": "b", "delay": "PT1H"},
                           {"payload": "c", "key": "k-c", "maxAttempts": 9}]}
                """);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        JsonNode items = Json.parse(response.body()).path("items");
        assertThat(items).extracting(item -> item.path("payload").asText()).containsExactly("a", "b", "c");
        assertThat(items).extracting(item -> item.path("state").asText()).containsOnly("pending");
        assertThat(items.get(0).path("priority").asInt()).isEqualTo(5);
        assertThat(rfc3339(items.get(1).path("runAt"))).isAfter(Instant.now().plus(Duration.ofMinutes(59)));
        assertThat(items.get(2).path("key").asText()).isEqualTo("k-c");
        assertThat(items.get(2).path("maxAttempts").asInt()).isEqualTo(9);
        assertThat(items.get(0).path("maxAttempts").asInt()).isEqualTo(4);
        Set<String> ids = new HashSet<>();
        items.forEach(item -> ids.add(item.path("id").asText()));
        assertThat(ids).hasSize(3);
        assertThat(new HashSet<>(ids("/v1/queues/batch/tasks"))).isEqualTo(ids);
        for (JsonNode item : items) {
            assertThat(Json.parse(get(location(item)).body())).isEqualTo(item);
        }
    }

    @Test
    void aBatchWithOneInvalidTaskStoresNothingAndNamesTheTask() {
        queue("batch-bad", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");

        var response = post("/v1/queues/batch-bad/tasks/batch", """
                {"tasks": [{"payload": 1}, {"payload": 2, "priority": 500}, {"priority": 1},
                           {"payload": 4, "delay": "PT1S", "runAt": "2031-01-01T00:00:00Z"}, 7]}
                """);

        assertInvalid(response, "tasks[1].priority", "tasks[2].payload", "tasks[3].runAt", "tasks[4]");
        assertThat(ids("/v1/queues/batch-bad/tasks")).as("all or none").isEmpty();
    }

    @Test
    void aBatchToAnUnknownQueueIs404() {
        assertProblem(post("/v1/queues/batch-nowhere/tasks/batch", "{\"tasks\": [{\"payload\": 1}]}"), 404);
    }

    @Test
    void aBatchMustHoldOneTo1000Tasks() {
        queue("batch-size", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");

        assertInvalid(post("/v1/queues/batch-size/tasks/batch", "{\"tasks\": []}"), "tasks");
        assertInvalid(post("/v1/queues/batch-size/tasks/batch", "{}"), "tasks");
        assertInvalid(post("/v1/queues/batch-size/tasks/batch", "{\"tasks\": {\"payload\": 1}}"), "tasks");
        assertInvalid(post("/v1/queues/batch-size/tasks/batch", batchOf(1001)), "tasks");
        assertThat(ids("/v1/queues/batch-size/tasks")).isEmpty();

        var full = post("/v1/queues/batch-size/tasks/batch", batchOf(1000));
        assertThat(full.statusCode()).as(full.body()).isEqualTo(201);
        JsonNode items = Json.parse(full.body()).path("items");
        assertThat(items.size()).isEqualTo(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(items.get(i).path("payload").asInt()).isEqualTo(i);
        }
    }

    // ---- read -------------------------------------------------------------------------------------------

    @Test
    void anUnknownOrForeignTaskIs404() {
        queue("read", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        queue("read-other", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        String id = Json.parse(post("/v1/queues/read/tasks", "{\"payload\": 1}").body()).path("id").asText();

        assertThat(get("/v1/queues/read/tasks/" + id).statusCode()).isEqualTo(200);
        assertProblem(get("/v1/queues/read-other/tasks/" + id), 404);
        assertProblem(get("/v1/queues/read/tasks/999999999"), 404);
        assertProblem(get("/v1/queues/read/tasks/abc"), 404);
        assertProblem(get("/v1/queues/read/tasks/-1"), 404);
        assertProblem(get("/v1/queues/read/tasks/0"), 404);
        assertProblem(get("/v1/queues/read/tasks/99999999999999999999999"), 404);
    }

    @Test
    void aLongPollEndsWithTheWaitOrAsSoonAsTheTaskFinishes() throws Exception {
        queue("wait", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        JsonNode idle = Json.parse(post("/v1/queues/wait/tasks", "{\"payload\": \"idle\"}").body());
        JsonNode awaited = Json.parse(post("/v1/queues/wait/tasks", "{\"payload\": \"awaited\"}").body());

        // parked first; the 5 s poll below guarantees it is waiting long before the queue resumes
        long longPollStart = System.nanoTime();
        CompletableFuture<HttpResponse<String>> longPoll = CompletableFuture.supplyAsync(
                () -> get(location(awaited) + "?wait=PT10S"), background);

        long start = System.nanoTime();
        var timedOut = get(location(idle) + "?wait=PT5S");
        long waited = millisSince(start);

        assertThat(timedOut.statusCode()).isEqualTo(200);
        assertThat(Json.parse(timedOut.body()).path("state").asText()).isEqualTo("pending");
        assertThat(waited).as("returned after the wait, not before").isBetween(4_900L, 7_000L);
        assertThat(longPoll).as("the other long-poll still waits").isNotDone();

        long resumed = System.nanoTime();
        assertThat(post("/v1/queues/wait/resume", "").statusCode()).isEqualTo(200);
        var finished = longPoll.get(10, TimeUnit.SECONDS);
        long afterResume = millisSince(resumed);

        assertThat(finished.statusCode()).isEqualTo(200);
        JsonNode task = Json.parse(finished.body());
        assertThat(task.path("state").asText()).isEqualTo("succeeded");
        assertThat(task.path("result")).isEqualTo(Json.parse("{\"logged\": true}"));
        assertThat(afterResume).as("answered when the task finished, not at the end of the wait").isLessThan(1_500L);
        assertThat(millisSince(longPollStart)).isLessThan(9_000L);

        var done = get(location(awaited) + "?wait=PT60S");
        assertThat(Json.parse(done.body()).path("state").asText()).as("a finished task answers at once")
                .isEqualTo("succeeded");
    }

    @ParameterizedTest
    @ValueSource(strings = {"PT61S", "PT1H", "-PT1S", "10", "soon"})
    void aWaitBeyondSixtySecondsOrNotADurationIsRefused(String wait) {
        queue("wait-bad", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        String id = Json.parse(post("/v1/queues/wait-bad/tasks", "{\"payload\": 1}").body()).path("id").asText();

        assertInvalid(get("/v1/queues/wait-bad/tasks/" + id + "?wait=" + URLEncoder.encode(wait, StandardCharsets.UTF_8)),
                      "wait");
    }

    // ---- list -------------------------------------------------------------------------------------------

    @Test
    void listIsNewestFirstAndFiltersByState() {
        queue("list", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            created.add(Json.parse(post("/v1/queues/list/tasks", "{\"payload\": " + i + "}").body()).path("id").asText());
        }
        assertThat(delete("/v1/queues/list/tasks/" + created.get(1)).statusCode()).isEqualTo(200);
        assertThat(delete("/v1/queues/list/tasks/" + created.get(3)).statusCode()).isEqualTo(200);

        var all = get("/v1/queues/list/tasks");
        assertThat(all.statusCode()).isEqualTo(200);
        JsonNode body = Json.parse(all.body());
        assertThat(body.path("items")).extracting(t -> t.path("id").asText())
                .containsExactly(created.reversed().toArray(String[]::new));
        assertThat(body.has("nextCursor")).isTrue();
        assertThat(body.path("nextCursor").isNull()).isTrue();

        assertThat(ids("/v1/queues/list/tasks?state=cancelled")).containsExactly(created.get(3), created.get(1));
        assertThat(ids("/v1/queues/list/tasks?state=pending"))
                .containsExactly(created.get(4), created.get(2), created.get(0));
        assertThat(ids("/v1/queues/list/tasks?state=succeeded")).isEmpty();
        assertInvalid(get("/v1/queues/list/tasks?state=done"), "state");

        JsonNode limited = Json.parse(get("/v1/queues/list/tasks?limit=2").body());
        assertThat(limited.path("items")).extracting(t -> t.path("id").asText())
                .containsExactly(created.get(4), created.get(3));
        assertThat(limited.path("nextCursor").isTextual()).isTrue();
        assertThat(ids("/v1/queues/list/tasks?limit=1")).containsExactly(created.get(4));
        assertThat(ids("/v1/queues/list/tasks?limit=500")).hasSize(5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "501", "abc", "-1", "1.5", ""})
    void aLimitOutsideOneTo500IsRefused(String limit) {
        queue("list-limit", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        assertInvalid(get("/v1/queues/list-limit/tasks?limit=" + limit), "limit");
    }

    @Test
    void cursorsVisitEveryTaskExactlyOnce() {
        queue("pages", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        var batch = post("/v1/queues/pages/tasks/batch", batchOf(120));
        assertThat(batch.statusCode()).isEqualTo(201);
        Set<String> enqueued = new HashSet<>();
        Json.parse(batch.body()).path("items").forEach(item -> enqueued.add(item.path("id").asText()));

        List<Integer> pageSizes = new ArrayList<>();
        List<Long> visited = new ArrayList<>();
        String cursor = null;
        do {
            var page = get("/v1/queues/pages/tasks?limit=50"
                           + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
            JsonNode body = Json.parse(page.body());
            pageSizes.add(body.path("items").size());
            body.path("items").forEach(item -> visited.add(Long.parseLong(item.path("id").asText())));
            cursor = body.path("nextCursor").isNull() ? null : body.path("nextCursor").asText();
        } while (cursor != null && pageSizes.size() < 10);

        assertThat(pageSizes).containsExactly(50, 50, 20);
        assertThat(visited).doesNotHaveDuplicates().hasSize(120);
        assertThat(visited).isSortedAccordingTo((a, b) -> Long.compare(b, a));
        assertThat(visited).extracting(String::valueOf).containsExactlyInAnyOrderElementsOf(enqueued);

        // a last page that is exactly full says there is no more
        JsonNode first = Json.parse(get("/v1/queues/pages/tasks?limit=60").body());
        JsonNode second = Json.parse(get("/v1/queues/pages/tasks?limit=60&cursor="
                                         + first.path("nextCursor").asText()).body());
        assertThat(second.path("items").size()).isEqualTo(60);
        assertThat(second.path("nextCursor").isNull()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "!!!", "YmVmb3JlOng", "bm90LWEtY3Vyc29y"})
    void aCursorThisServiceDidNotIssueIsRefused(String cursor) {
        queue("pages-bad", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        // YmVmb3JlOng is "before:x"; bm90LWEtY3Vyc29y is "not-a-cursor"
        assertInvalid(get("/v1/queues/pages-bad/tasks?cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)),
                      "cursor");
    }

    // ---- cancel and retry -------------------------------------------------------------------------------

    @Test
    void aPendingTaskCanBeCancelledOnce() {
        queue("cancel", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        JsonNode task = Json.parse(post("/v1/queues/cancel/tasks", "{\"payload\": 1, \"delay\": \"PT1H\"}").body());

        var cancelled = delete(location(task));
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        JsonNode body = Json.parse(cancelled.body());
        assertThat(body.path("id")).isEqualTo(task.path("id"));
        assertThat(body.path("state").asText()).isEqualTo("cancelled");
        assertThat(body.path("finishedAt").isTextual()).isTrue();
        assertThat(Json.parse(get(location(task)).body()).path("state").asText()).isEqualTo("cancelled");

        assertProblem(delete(location(task)), 409);
        assertProblem(delete("/v1/queues/cancel/tasks/999999999"), 404);
        assertProblem(delete("/v1/queues/cancel/tasks/abc"), 404);
    }

    @Test
    void aRunningTaskCanBeNeitherCancelledNorRetried() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        backend.answer(request -> {
            release.await(10, TimeUnit.SECONDS);
            return Backend.Reply.json(200, "{}");
        });
        queue("running", """
                {"handler": {"type": "http", "backends": ["%s"], "timeout": "PT15S"}}
                """.formatted(backend.uri()));
        int before = backend.count();
        JsonNode task = Json.parse(post("/v1/queues/running/tasks", "{\"payload\": 1}").body());
        backend.await(before + 1, Duration.ofSeconds(5));

        try {
            assertThat(Json.parse(get(location(task)).body()).path("state").asText()).isEqualTo("running");
            assertProblem(delete(location(task)), 409);
            assertProblem(post(location(task) + "/retry", ""), 409);
        } finally {
            release.countDown();
        }
        assertThat(Json.parse(get(location(task) + "?wait=PT10S").body()).path("state").asText()).isEqualTo("succeeded");
    }

    @Test
    void aFailedOrCancelledTaskCanBeRetriedAndThenRuns() throws Exception {
        AtomicBoolean failing = new AtomicBoolean(true);
        backend.answer(request -> failing.get()
                ? Backend.Reply.json(404, "{\"error\": \"no such mailbox\"}")
                : Backend.Reply.json(200, "{\"delivered\": true}"));
        queue("retry", """
                {"handler": {"type": "http", "backends": ["%s"], "path": "/hook", "timeout": "PT5S"},
                 "retry": {"maxAttempts": 3, "minBackoff": "PT0.1S", "maxBackoff": "PT0.2S"}, "paused": true}
                """.formatted(backend.uri()));
        JsonNode cancelledTask = Json.parse(post("/v1/queues/retry/tasks", "{\"payload\": \"c\"}").body());
        assertThat(delete(location(cancelledTask)).statusCode()).isEqualTo(200);
        JsonNode failedTask = Json.parse(post("/v1/queues/retry/tasks", "{\"payload\": \"f\"}").body());
        assertThat(post("/v1/queues/retry/resume", "").statusCode()).isEqualTo(200);
        JsonNode failed = Json.parse(get(location(failedTask) + "?wait=PT10S").body());
        assertThat(failed.path("state").asText()).isEqualTo("failed");
        assertThat(failed.path("attempts").asInt()).isEqualTo(1);
        assertProblem(post(location(Json.parse(post("/v1/queues/retry/tasks", "{\"payload\": \"p\", \"delay\": \"PT1H\"}")
                                                       .body())) + "/retry", ""), 409);
        failing.set(false);

        for (JsonNode task : List.of(failedTask, cancelledTask)) {
            var retried = post(location(task) + "/retry", "");
            assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
            JsonNode body = Json.parse(retried.body());
            assertThat(body.path("state").asText()).isEqualTo("pending");
            assertThat(body.path("attempts").asInt()).isZero();
            assertThat(body.path("lastError").isNull()).isTrue();
            assertThat(body.path("finishedAt").isNull()).isTrue();

            JsonNode ran = Json.parse(get(location(task) + "?wait=PT10S").body());
            assertThat(ran.path("state").asText()).as("the retried task runs: %s", ran).isEqualTo("succeeded");
            assertThat(ran.path("attempts").asInt()).isEqualTo(1);
            assertThat(ran.path("result")).isEqualTo(Json.parse("{\"delivered\": true}"));
        }

        assertProblem(post(location(failedTask) + "/retry", ""), 409);
        assertProblem(post("/v1/queues/retry/tasks/999999999/retry", ""), 404);
        assertProblem(post("/v1/queues/retry/tasks/abc/retry", ""), 404);
        assertProblem(delete(location(failedTask)), 409);
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    private static void queue(String name, String json) {
        var response = put("/v1/queues/" + name, json);
        assertThat(response.statusCode()).as(response.body()).isIn(200, 201);
    }

    private static String batchOf(int n) {
        StringBuilder body = new StringBuilder("{\"tasks\": [");
        for (int i = 0; i < n; i++) {
            body.append(i == 0 ? "" : ",").append("{\"payload\": ").append(i).append('}');
        }
        return body.append("]}").toString();
    }

    /** Every id on the first page (up to 500) of a task listing. */
    private static List<String> ids(String path) {
        var response = get(path + (path.contains("?") ? "&" : "?") + "limit=500");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        Json.parse(response.body()).path("items").forEach(item -> ids.add(item.path("id").asText()));
        return ids;
    }

    private static String location(JsonNode task) {
        return "/v1/queues/" + task.path("queue").asText() + "/tasks/" + task.path("id").asText();
    }

    private static Instant rfc3339(JsonNode node) {
        assertThat(node.isTextual()).as("an instant string: %s", node).isTrue();
        OffsetDateTime parsed = OffsetDateTime.parse(node.asText());
        assertThat(parsed.getOffset()).as("UTC: %s", node).isEqualTo(ZoneOffset.UTC);
        return parsed.toInstant();
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static HttpResponse<String> recorded(HttpResponse<String> response) {
        responses.add(response);
        return response;
    }

    private static HttpResponse<String> get(String path) {
        return recorded(server.get(path));
    }

    private static HttpResponse<String> post(String path, String json) {
        return recorded(server.post(path, json));
    }

    private static HttpResponse<String> put(String path, String json) {
        return recorded(server.put(path, json));
    }

    private static HttpResponse<String> delete(String path) {
        return recorded(server.delete(path));
    }

    private static HttpResponse<String> postWithKey(String path, String key, String json) {
        return recorded(server.send(HttpRequest.newBuilder(server.uri(path))
                                            .header("Content-Type", "application/json")
                                            .header("Idempotency-Key", key)
                                            .POST(HttpRequest.BodyPublishers.ofString(json))));
    }
}
