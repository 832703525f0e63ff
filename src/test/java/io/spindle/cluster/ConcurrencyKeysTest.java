package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.testing.Backend;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Concurrency keys on two instances: a queue's keyConcurrency bounds the running tasks of each key across both,
 * and the claim takes keys in turn, so one key's long backlog does not hold back another key's task.
 */
class ConcurrencyKeysTest {
    static TestServer first;
    static Lifecycle second;
    static Backend backend;
    static final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> mostRunning = new ConcurrentHashMap<>();
    static final Map<String, Long> firstSeen = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        backend = Backend.start().answer(request -> {
            String key = request.json().path("tenant").asText();
            firstSeen.putIfAbsent(key, System.nanoTime());
            int now = running.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            mostRunning.computeIfAbsent(key, k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
            try {
                Thread.sleep(200);
            } finally {
                running.get(key).decrementAndGet();
            }
            return Backend.Reply.OK;
        });
        first = TestServer.start();
        second = new Lifecycle();
        Spindle.start(TestServer.settings(first.database().jdbcUrl(), first.database()), second);
    }

    @AfterAll
    static void stop() {
        second.close();
        first.close();
        backend.close();
    }

    @Test
    void aKeysBacklogDoesNotHoldBackAnotherKeysTask() {
        assertThat(first.put("/v1/queues/tenants", """
                {"handler": {"type": "http", "backends": ["%s"]}, "maxConcurrent": 10, "keyConcurrency": 2}
                """.formatted(backend.uri())).statusCode()).isEqualTo(201);
        for (int batch = 0; batch < 20; batch++) {
            StringBuilder body = new StringBuilder("{\"tasks\": [");
            for (int i = 0; i < 1000; i++) {
                body.append(i == 0 ? "" : ",").append("{\"payload\": {\"tenant\": \"a\"}, \"concurrencyKey\": \"a\"}");
            }
            body.append("]}");
            assertThat(first.post("/v1/queues/tenants/tasks/batch", body.toString()).statusCode()).isEqualTo(201);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> firstSeen.containsKey("a"));

        long enqueued = System.nanoTime();
        var b = first.post("/v1/queues/tenants/tasks", "{\"payload\": {\"tenant\": \"b\"}, \"concurrencyKey\": \"b\"}");
        assertThat(b.statusCode()).isEqualTo(201);
        assertThat(Json.parse(b.body()).path("concurrencyKey").asText()).isEqualTo("b");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> firstSeen.containsKey("b"));
        Duration waited = Duration.ofNanos(firstSeen.get("b") - enqueued);
        System.out.println("ConcurrencyKeysTest: b started " + waited.toMillis() + " ms after its enqueue, behind 20,000 of a");
        assertThat(waited).isLessThan(Duration.ofMillis(250));

        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(mostRunning.get("a").get()).as("tasks of key a running at once on two instances").isEqualTo(2);
    }

    @Test
    void theKeyShowsOnTasksOfABatchAndBadKeysAreRefused() {
        assertThat(first.put("/v1/queues/keyed-batch", """
                {"handler": {"type": "log"}, "keyConcurrency": 1, "paused": true}
                """).statusCode()).isEqualTo(201);
        var queue = Json.parse(first.get("/v1/queues/keyed-batch").body());
        assertThat(queue.path("keyConcurrency").asInt()).isEqualTo(1);
        var batch = Json.parse(first.post("/v1/queues/keyed-batch/tasks/batch", """
                {"tasks": [{"payload": 1, "concurrencyKey": "t-1"}, {"payload": 2}]}
                """).body());
        assertThat(batch.path("items").get(0).path("concurrencyKey").asText()).isEqualTo("t-1");
        assertThat(batch.path("items").get(1).path("concurrencyKey").isNull()).isTrue();

        var tooLong = first.post("/v1/queues/keyed-batch/tasks", "{\"payload\": 1, \"concurrencyKey\": \"%s\"}"
                .formatted("k".repeat(129)));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(tooLong.body()).contains("concurrencyKey");
        var zero = first.put("/v1/queues/keyed-zero", "{\"handler\": {\"type\": \"log\"}, \"keyConcurrency\": 0}");
        assertThat(zero.statusCode()).isEqualTo(400);
        assertThat(zero.body()).contains("keyConcurrency");
    }
}
