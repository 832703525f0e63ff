package io.spindle.http;

import static io.spindle.testing.Problems.assertInvalid;
import static io.spindle.testing.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The queue endpoints of SPEC §3 and the error contract of SPEC §7, against a real server and database.
 */
class QueueApiTest {
    private static final String LOG_QUEUE = """
            {"handler": {"type": "log"}}
            """;
    /** A queue whose tasks stay where the test puts them: paused queues dispatch nothing (SPEC §4). */
    private static final String PAUSED_QUEUE = """
            {"handler": {"type": "log"}, "paused": true}
            """;
    private static final int MIB = 1024 * 1024;

    static TestServer server;
    /** Every response of the current test, so that none may be a 5xx. */
    static final List<HttpResponse<String>> responses = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void noServerErrors() {
        List<HttpResponse<String>> seen = List.copyOf(responses);
        responses.clear();
        assertThat(seen)
                .filteredOn(r -> r.statusCode() >= 500)
                .extracting(r -> r.request().method() + " " + r.request().uri().getRawPath() + " -> "
                        + r.statusCode() + " " + r.body())
                .as("no input may make the service answer 5xx")
                .isEmpty();
    }

    // ---- create, replace, read, list ------------------------------------------------------------------------

    @Test
    void putCreatesAQueueWith201AndLocationThenReplacesItWith200() {
        var created = put("/v1/queues/emails", """
                {"handler": {"type": "http", "backends": ["http://10.0.0.5:9000", "https://b.example/"],
                             "path": "/hooks/email", "timeout": "PT10S"},
                 "maxConcurrent": 3,
                 "rate": {"permits": 50, "period": "PT1S"},
                 "retry": {"maxAttempts": 7, "minBackoff": "PT2S", "maxBackoff": "PT1M"},
                 "retention": "P1D",
                 "paused": true}
                """);
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(created.headers().firstValue("Location")).contains("/v1/queues/emails");
        JsonNode queue = Json.parse(created.body());
        assertThat(queue.path("name").asText()).isEqualTo("emails");
        assertThat(queue.path("handler").path("type").asText()).isEqualTo("http");
        assertThat(queue.path("handler").path("backends")).extracting(JsonNode::asText)
                .containsExactly("http://10.0.0.5:9000", "https://b.example");
        assertThat(queue.path("handler").path("path").asText()).isEqualTo("/hooks/email");
        assertThat(duration(queue.path("handler").path("timeout"))).isEqualTo(Duration.ofSeconds(10));
        assertThat(queue.path("maxConcurrent").asInt()).isEqualTo(3);
        assertThat(queue.path("rate").path("permits").asInt()).isEqualTo(50);
        assertThat(duration(queue.path("rate").path("period"))).isEqualTo(Duration.ofSeconds(1));
        assertThat(queue.path("retry").path("maxAttempts").asInt()).isEqualTo(7);
        assertThat(duration(queue.path("retry").path("minBackoff"))).isEqualTo(Duration.ofSeconds(2));
        assertThat(duration(queue.path("retry").path("maxBackoff"))).isEqualTo(Duration.ofMinutes(1));
        assertThat(duration(queue.path("retention"))).isEqualTo(Duration.ofDays(1));
        assertThat(queue.path("paused").asBoolean()).isTrue();
        assertThat(queue.path("stats").path("pending").asLong()).isZero();

        var replaced = put("/v1/queues/emails", """
                {"handler": {"type": "topic", "topic": "mail.sent"}, "maxConcurrent": 4}
                """);
        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(replaced.headers().firstValue("Location")).isEmpty();
        JsonNode after = Json.parse(replaced.body());
        assertThat(after.path("handler").path("type").asText()).isEqualTo("topic");
        assertThat(after.path("handler").path("topic").asText()).isEqualTo("mail.sent");
        assertThat(after.path("maxConcurrent").asInt()).isEqualTo(4);
        assertThat(after.path("rate").isNull()).as("a replace drops what it does not state").isTrue();
        assertThat(after.path("paused").asBoolean()).isFalse();

        assertThat(Json.parse(get("/v1/queues/emails").body())).isEqualTo(after);
    }

    @Test
    void putAppliesTheDocumentedDefaults() {
        var created = put("/v1/queues/defaults", LOG_QUEUE);
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode queue = Json.parse(created.body());
        assertThat(queue.path("handler")).isEqualTo(Json.parse("{\"type\": \"log\"}"));
        assertThat(queue.path("maxConcurrent").asInt()).isEqualTo(10);
        assertThat(queue.path("rate").isNull()).isTrue();
        assertThat(queue.path("retry").path("maxAttempts").asInt()).isEqualTo(5);
        assertThat(duration(queue.path("retry").path("minBackoff"))).isEqualTo(Duration.ofSeconds(1));
        assertThat(duration(queue.path("retry").path("maxBackoff"))).isEqualTo(Duration.ofMinutes(5));
        assertThat(duration(queue.path("retention"))).isEqualTo(Duration.ofDays(7));
        assertThat(queue.path("paused").asBoolean()).isFalse();

        var http = Json.parse(put("/v1/queues/http-defaults", """
                {"handler": {"type": "http", "backends": ["http://127.0.0.1:9"]}}
                """).body());
        assertThat(http.path("handler").path("path").asText()).isEqualTo("/");
        assertThat(duration(http.path("handler").path("timeout"))).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void whatAGetReturnsCanBePutBack() {
        put("/v1/queues/round-trip", """
                {"handler": {"type": "http", "backends": ["http://127.0.0.1:9"]}, "rate": {"permits": 5, "period": "PT2S"}}
                """);
        String shown = get("/v1/queues/round-trip").body();

        var replaced = put("/v1/queues/round-trip", shown);

        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
        assertThat(Json.parse(replaced.body())).isEqualTo(Json.parse(shown));
    }

    @Test
    void theDefaultQueueExistsWithALogHandler() {
        var response = get("/v1/queues/default");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Json.parse(response.body()).path("handler").path("type").asText()).isEqualTo("log");
    }

    @Test
    void getOfAnUnknownQueueIs404() {
        assertProblem(get("/v1/queues/no-such-queue"), 404);
    }

    @Test
    void listShowsEveryQueueWithStatsByName() {
        put("/v1/queues/list-b", LOG_QUEUE);
        put("/v1/queues/list-a", LOG_QUEUE);

        var response = get("/v1/queues");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode items = Json.parse(response.body()).path("items");
        assertThat(items.isArray()).isTrue();
        List<String> names = new ArrayList<>();
        items.forEach(item -> names.add(item.path("name").asText()));
        assertThat(names).contains("default", "list-a", "list-b").isSorted();
        items.forEach(item -> assertThat(item.path("stats").path("pending").isIntegralNumber()).isTrue());
    }

    @Test
    void aNameOf64CharactersIsAccepted() {
        String name = "q".repeat(64);
        assertThat(put("/v1/queues/" + name, LOG_QUEUE).statusCode()).isEqualTo(201);
        assertThat(get("/v1/queues/" + name).statusCode()).isEqualTo(200);
    }

    // ---- pause and resume ---------------------------------------------------------------------------------

    @Test
    void pauseAndResumeFlipPausedAndAnswerTheQueue() {
        put("/v1/queues/pausable", LOG_QUEUE);

        var paused = post("/v1/queues/pausable/pause", null);
        assertThat(paused.statusCode()).isEqualTo(200);
        assertThat(Json.parse(paused.body()).path("paused").asBoolean()).isTrue();
        assertThat(Json.parse(get("/v1/queues/pausable").body()).path("paused").asBoolean()).isTrue();

        var pausedAgain = post("/v1/queues/pausable/pause", null);
        assertThat(pausedAgain.statusCode()).as("pausing is idempotent").isEqualTo(200);

        var resumed = post("/v1/queues/pausable/resume", null);
        assertThat(resumed.statusCode()).isEqualTo(200);
        assertThat(Json.parse(resumed.body()).path("paused").asBoolean()).isFalse();
        assertThat(Json.parse(get("/v1/queues/pausable").body()).path("paused").asBoolean()).isFalse();
    }

    @Test
    void pauseAndResumeOfAnUnknownQueueAre404() {
        assertProblem(post("/v1/queues/nobody/pause", null), 404);
        assertProblem(post("/v1/queues/nobody/resume", null), 404);
    }

    // ---- delete -------------------------------------------------------------------------------------------

    @Test
    void deleteAnswers204ThenTheQueueIsGone() {
        put("/v1/queues/doomed", LOG_QUEUE);

        var deleted = delete("/v1/queues/doomed");

        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();
        assertProblem(get("/v1/queues/doomed"), 404);
        assertProblem(delete("/v1/queues/doomed"), 404);
    }

    @Test
    void deleteOfAQueueWithAPendingOrRunningTaskIs409AndKeepsIt() throws SQLException {
        put("/v1/queues/busy", PAUSED_QUEUE);
        long pending = insertTask("busy", "pending", "now()");

        assertProblem(delete("/v1/queues/busy"), 409);
        assertThat(get("/v1/queues/busy").statusCode()).isEqualTo(200);

        setState(pending, "running");
        assertProblem(delete("/v1/queues/busy"), 409);

        setState(pending, "succeeded");
        insertTask("busy", "failed", "now()");
        assertThat(delete("/v1/queues/busy").statusCode())
                .as("finished tasks do not keep a queue alive").isEqualTo(204);
        assertThat(countTasks("busy")).as("its finished tasks go with it").isZero();
    }

    @Test
    void deleteOfAQueueWithAScheduledTaskIs409() throws SQLException {
        put("/v1/queues/scheduled-busy", PAUSED_QUEUE);
        insertTask("scheduled-busy", "pending", "now() + interval '1 day'");

        assertProblem(delete("/v1/queues/scheduled-busy"), 409);
    }

    // ---- stats --------------------------------------------------------------------------------------------

    @Test
    void statsCountEveryStateAndTheOldestDueTask() throws SQLException {
        put("/v1/queues/counted", PAUSED_QUEUE);
        insertTask("counted", "pending", "now() - interval '1 hour'");
        insertTask("counted", "pending", "now() - interval '5 minutes'");
        insertTask("counted", "pending", "now() + interval '1 hour'");
        insertTask("counted", "pending", "now() + interval '2 days'");
        insertTask("counted", "pending", "now() + interval '3 days'");
        insertTask("counted", "running", "now()");
        for (int i = 0; i < 4; i++) {
            insertTask("counted", "succeeded", "now()");
        }
        for (int i = 0; i < 5; i++) {
            insertTask("counted", "failed", "now()");
        }
        for (int i = 0; i < 6; i++) {
            insertTask("counted", "cancelled", "now()");
        }
        // another queue's tasks must not leak into these stats
        put("/v1/queues/neighbour", PAUSED_QUEUE);
        insertTask("neighbour", "pending", "now() - interval '3 hours'");

        for (JsonNode queue : List.of(Json.parse(get("/v1/queues/counted").body()), listed("counted"))) {
            JsonNode stats = queue.path("stats");
            assertThat(stats.path("pending").asLong()).isEqualTo(2);
            assertThat(stats.path("scheduled").asLong()).isEqualTo(3);
            assertThat(stats.path("running").asLong()).isEqualTo(1);
            assertThat(stats.path("succeeded").asLong()).isEqualTo(4);
            assertThat(stats.path("failed").asLong()).isEqualTo(5);
            assertThat(stats.path("cancelled").asLong()).isEqualTo(6);
            assertThat(duration(stats.path("oldestPendingAge")))
                    .isBetween(Duration.ofMinutes(59), Duration.ofMinutes(70));
        }
    }

    @Test
    void anEmptyQueueHasZeroStats() {
        JsonNode stats = Json.parse(put("/v1/queues/empty-stats", LOG_QUEUE).body()).path("stats");
        for (String state : List.of("pending", "scheduled", "running", "succeeded", "failed", "cancelled")) {
            assertThat(stats.path(state).isIntegralNumber()).as(state).isTrue();
            assertThat(stats.path(state).asLong()).as(state).isZero();
        }
        assertThat(duration(stats.path("oldestPendingAge"))).isZero();
    }

    @Test
    void onlyScheduledTasksMeanNoPendingAge() throws SQLException {
        put("/v1/queues/future-only", PAUSED_QUEUE);
        insertTask("future-only", "pending", "now() + interval '1 hour'");

        JsonNode stats = Json.parse(get("/v1/queues/future-only").body()).path("stats");

        assertThat(stats.path("pending").asLong()).isZero();
        assertThat(stats.path("scheduled").asLong()).isEqualTo(1);
        assertThat(duration(stats.path("oldestPendingAge"))).isZero();
    }

    @Test
    void statsInTheBodyOfAPutAreIgnored() {
        var created = put("/v1/queues/stats-echo", """
                {"handler": {"type": "log"}, "stats": {"pending": 99}}
                """);
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(Json.parse(created.body()).path("stats").path("pending").asLong()).isZero();
    }

    // ---- validation ---------------------------------------------------------------------------------------

    @Nested
    class Validation {
        @Test
        void unknownFieldsAreNamed() {
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log", "colour": "red"}, "maxConcurent": 3,
                     "retry": {"attempts": 3}, "rate": {"permits": 1, "period": "PT1S", "burst": 2}}
                    """), "maxConcurent", "handler.colour", "retry.attempts", "rate.burst");
            assertQueueAbsent("v");
        }

        @Test
        void wrongTypesAreNamed() {
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log"}, "maxConcurrent": "ten", "paused": "yes",
                     "retention": 7, "retry": {"maxAttempts": 2.5}}
                    """), "maxConcurrent", "paused", "retention", "retry.maxAttempts");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": "log"}
                    """), "handler");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "http", "backends": "http://127.0.0.1:9"}}
                    """), "handler.backends");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log"}, "rate": [1, "PT1S"], "retry": true}
                    """), "rate", "retry");
            assertQueueAbsent("v");
        }

        @Test
        void aBodyThatIsNotAnObjectIsRefused() {
            for (String body : List.of("[]", "42", "\"queue\"", "null", "true")) {
                assertInvalid(put("/v1/queues/v", body));
            }
            assertQueueAbsent("v");
        }

        @Test
        void outOfRangeValuesAreNamed() {
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log"}, "maxConcurrent": 0}
                    """), "maxConcurrent");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log"}, "maxConcurrent": 99999999999999999999999}
                    """), "maxConcurrent");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log"}, "maxConcurrent": 1e400}
                    """), "maxConcurrent");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log"}, "retry": {"maxAttempts": 0, "minBackoff": "-PT1S"},
                     "rate": {"permits": -5, "period": "PT0S"}, "retention": "P99999D"}
                    """), "retry.maxAttempts", "retry.minBackoff", "rate.permits", "rate.period", "retention");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log"}, "retry": {"minBackoff": "PT10M", "maxBackoff": "PT1M"}}
                    """), "retry.maxBackoff");
            assertQueueAbsent("v");
        }

        @Test
        void missingRequiredFieldsAreNamed() {
            assertInvalid(put("/v1/queues/v", "{}"), "handler");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {}}
                    """), "handler.type");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "log"}, "rate": {"permits": 5}}
                    """), "rate.period");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "topic"}}
                    """), "handler.topic");
            assertQueueAbsent("v");
        }

        @Test
        void badDurationsAreNamed() {
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "http", "backends": ["http://127.0.0.1:9"], "timeout": "30s"},
                     "retention": "7 days", "rate": {"permits": 1, "period": "1s"},
                     "retry": {"minBackoff": "PT", "maxBackoff": ""}}
                    """), "handler.timeout", "retention", "rate.period", "retry.minBackoff", "retry.maxBackoff");
            assertQueueAbsent("v");
        }

        @Test
        void anHttpHandlerNeedsHttpBackends() {
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "http"}}
                    """), "handler.backends");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "http", "backends": []}}
                    """), "handler.backends");
            for (String backend : List.of("ftp://10.0.0.5/", "file:///etc/passwd", "10.0.0.5:9000", "http://",
                                          "http://h.example/?q=1", "not a url", "")) {
                assertInvalid(put("/v1/queues/v", """
                        {"handler": {"type": "http", "backends": ["http://127.0.0.1:9", %s]}}
                        """.formatted(quote(backend))), "handler.backends");
            }
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "http", "backends": [42]}}
                    """), "handler.backends");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "http", "backends": ["http://127.0.0.1:9"], "path": "hooks"}}
                    """), "handler.path");
            assertQueueAbsent("v");
        }

        @Test
        void aTopicHandlerCannotPublishOnTaskTopicsOrBadNames() {
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "topic", "topic": "tasks.x"}}
                    """), "handler.topic");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "topic", "topic": "a b"}}
                    """), "handler.topic");
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "topic", "topic": "%s"}}
                    """.formatted("t".repeat(129))), "handler.topic");
            assertQueueAbsent("v");
        }

        @Test
        void anUnknownHandlerTypeIsNamed() {
            assertInvalid(put("/v1/queues/v", """
                    {"handler": {"type": "smtp"}}
                    """), "handler.type");
            assertQueueAbsent("v");
        }

        @Test
        void aNameInTheBodyMustMatchThePath() {
            assertInvalid(put("/v1/queues/v", """
                    {"name": "other", "handler": {"type": "log"}}
                    """), "name");
            assertQueueAbsent("v");
            assertQueueAbsent("other");
        }

        @ParameterizedTest
        @ValueSource(strings = {
                "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", // 65
                "a%20b", "a.b", "%C3%BC", "a%00b", "%22", "a%09b"})
        void badQueueNamesAre400OnEveryRoute(String encodedName) {
            String path = "/v1/queues/" + encodedName;
            assertInvalid(put(path, LOG_QUEUE), "name");
            assertInvalid(get(path), "name");
            assertInvalid(delete(path), "name");
            assertInvalid(post(path + "/pause", null), "name");
            assertInvalid(post(path + "/resume", null), "name");
        }

        @Test
        void everyProblemOfABodyIsListedAtOnce() {
            JsonNode problem = assertInvalid(put("/v1/queues/v", """
                    {"maxConcurrent": -1, "paused": 1, "extra": null}
                    """), "handler", "maxConcurrent", "paused", "extra");
            assertThat(problem.path("errors").size()).isEqualTo(4);
        }
    }

    // ---- unreadable bodies --------------------------------------------------------------------------------

    @Nested
    class Bodies {
        @Test
        void malformedJsonIs400NamingLineAndColumn() {
            JsonNode problem = assertProblem(put("/v1/queues/v", """
                    {
                      "handler": {"type": "log"}
                      "maxConcurrent": 2
                    }
                    """), 400);
            assertThat(problem.path("detail").asText()).contains("line", "column").contains("line 3");

            for (String body : List.of("{", "{\"handler\": }", "{'handler': 1}", "{\"handler\": {\"type\": \"log\"},}",
                                       "{} {}", "{\"a\": NaN}", "\u0000", "{\"handler\": {\"type\": \"log\"}, \"handler\": {}}")) {
                JsonNode p = assertProblem(put("/v1/queues/v", body), 400);
                assertThat(p.path("detail").asText()).as(body).contains("line").contains("column");
            }
            assertQueueAbsent("v");
        }

        @Test
        void anEmptyBodyIs400() {
            var response = server.send(HttpRequest.newBuilder(server.uri("/v1/queues/v"))
                                               .header("Content-Type", "application/json")
                                               .PUT(BodyPublishers.noBody()));
            record(response);
            assertProblem(response, 400);
            assertProblem(put("/v1/queues/v", "   "), 400);
            assertQueueAbsent("v");
        }

        @Test
        void deeplyNestedJsonIs400NotAServerError() {
            String arrays = "[".repeat(10_000) + "]".repeat(10_000);
            assertProblem(put("/v1/queues/v", arrays), 400);
            String objects = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
            assertProblem(put("/v1/queues/v", objects), 400);
            String inHandler = "{\"handler\": {\"type\": \"log\", \"x\": " + "[".repeat(10_000) + "]".repeat(10_000) + "}}";
            assertProblem(put("/v1/queues/v", inHandler), 400);
            assertQueueAbsent("v");
            assertThat(get("/v1/queues/default").statusCode()).as("still serving").isEqualTo(200);
        }

        @Test
        void aNonJsonContentTypeIs415() {
            for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "application/xml")) {
                var response = server.send(HttpRequest.newBuilder(server.uri("/v1/queues/v"))
                                                   .header("Content-Type", type)
                                                   .PUT(BodyPublishers.ofString(LOG_QUEUE)));
                record(response);
                assertProblem(response, 415);
            }
            assertQueueAbsent("v");
        }

        @Test
        void anUnparseableContentTypeIsAClientError() {
            for (String type : List.of(";;;", "application/", "/json", "application/json; charset", "text/plain; q=\"")) {
                var response = server.send(HttpRequest.newBuilder(server.uri("/v1/queues/v"))
                                                   .header("Content-Type", type)
                                                   .PUT(BodyPublishers.ofString(LOG_QUEUE)));
                record(response);
                assertThat(response.statusCode()).as("Content-Type '%s': %s", type, response.body()).isBetween(400, 499);
                assertProblem(response, response.statusCode());
            }
            assertQueueAbsent("v");
        }

        @Test
        void aContentLengthThatIsNotANumberIs400() throws IOException {
            RawResponse response = raw("PUT", "/v1/queues/v", "Content-Length: twelve", new byte[0]);
            assertProblem("PUT with Content-Length: twelve", response.status(), response.header("Content-Type"),
                          response.body(), 400);
        }

        @Test
        void headersOverTheLimitAre431() throws IOException {
            RawResponse response = raw("GET", "/v1/queues/default", "X-Big: " + "a".repeat(64 * 1024), new byte[0]);
            assertThat(response.status()).isBetween(400, 499);
            assertProblem("GET with a 64 KiB header", response.status(), response.header("Content-Type"),
                          response.body(), response.status());
        }

        @Test
        void jsonWithACharsetOrASuffixIsAccepted() {
            var response = server.send(HttpRequest.newBuilder(server.uri("/v1/queues/charset"))
                                               .header("Content-Type", "application/json; charset=utf-8")
                                               .PUT(BodyPublishers.ofString(LOG_QUEUE)));
            record(response);
            assertThat(response.statusCode()).isEqualTo(201);
        }

        @Test
        void aBodyOverOneMibWithContentLengthIs413BeforeItIsSent() throws IOException {
            // The server refuses on the Content-Length header alone; it answers before reading the body.
            RawResponse response = raw("PUT", "/v1/queues/v", "Content-Length: " + (MIB + 1), new byte[0]);
            assertProblem("PUT /v1/queues/v (Content-Length: 1 MiB + 1)", response.status(),
                          response.header("Content-Type"), response.body(), 413);
            assertQueueAbsent("v");
        }

        @Test
        void aClientThatExpects100ContinueGets413InsteadOfContinue() {
            byte[] body = oversizedJson();
            var response = server.send(HttpRequest.newBuilder(server.uri("/v1/queues/v"))
                                               .version(HttpClient.Version.HTTP_1_1)
                                               .expectContinue(true)
                                               .header("Content-Type", "application/json")
                                               .PUT(BodyPublishers.ofByteArray(body)));
            record(response);
            assertProblem(response, 413);
            assertQueueAbsent("v");
        }

        @Test
        void aChunkedBodyOverOneMibIs413() throws IOException {
            // 16 chunks of 64 KiB are exactly 1 MiB, which is allowed; the 17th chunk's size line crosses the limit,
            // and the server answers without waiting for its data.
            ByteArrayOutputStream chunks = new ByteArrayOutputStream();
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) ' ');
            byte[] head = "{\"handler\": {\"type\": \"log\"}, \"pad\": \"".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 16; i++) {
                byte[] data = chunk.clone();
                if (i == 0) {
                    System.arraycopy(head, 0, data, 0, head.length);
                }
                chunks.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                chunks.write(data);
                chunks.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            chunks.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));

            RawResponse response = raw("PUT", "/v1/queues/v", "Transfer-Encoding: chunked", chunks.toByteArray());

            assertProblem("PUT /v1/queues/v (chunked, over 1 MiB)", response.status(),
                          response.header("Content-Type"), response.body(), 413);
            assertQueueAbsent("v");
        }

        @Test
        void aBodyJustUnderTheLimitIsRead() {
            // a valid document padded with whitespace to just under 1 MiB: parsed, not refused for size
            String json = "{\"handler\": {\"type\": \"log\"}}";
            String padded = json + " ".repeat(MIB - json.length() - 16);
            var response = put("/v1/queues/big-but-fine", padded);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        }

        private static byte[] oversizedJson() {
            String prefix = "{\"handler\": {\"type\": \"log\"}, \"pad\": \"";
            byte[] body = new byte[MIB + 1024];
            Arrays.fill(body, (byte) 'x');
            byte[] head = prefix.getBytes();
            System.arraycopy(head, 0, body, 0, head.length);
            body[body.length - 2] = '"';
            body[body.length - 1] = '}';
            return body;
        }
    }

    // ---- routing ------------------------------------------------------------------------------------------

    @Nested
    class Routing {
        @Test
        void anUnknownRouteIs404ProblemJson() {
            assertProblem(get("/v1/nothing-here"), 404);
            assertProblem(get("/nothing-here"), 404);
            assertProblem(get("/v1/queues/default/nope/deeper"), 404);
            assertProblem(post("/v1/nothing-here", "{}"), 404);
        }

        @Test
        void aBadlyEncodedPathIsAClientError() throws IOException {
            for (String path : List.of("/v1/queues/%zz", "/v1/queues/%", "/v1/queues/a%2", "/v1/queues/default?x=%zz")) {
                RawResponse response = raw("GET", path, "Content-Length: 0", new byte[0]);
                assertThat(response.status()).as(path + ": " + response.body()).isBetween(400, 499);
                assertProblem("GET " + path, response.status(), response.header("Content-Type"), response.body(),
                              response.status());
            }
        }

        @Test
        void aWrongMethodIs405WithAllow() {
            assertAllowed(send("PATCH", "/v1/queues/default", LOG_QUEUE), "GET", "PUT", "DELETE");
            assertAllowed(send("POST", "/v1/queues/default", LOG_QUEUE), "GET", "PUT", "DELETE");
            assertAllowed(send("POST", "/v1/queues", LOG_QUEUE), "GET");
            assertAllowed(send("DELETE", "/v1/queues", null), "GET");
            assertAllowed(send("GET", "/v1/queues/default/pause", null), "POST");
            assertAllowed(send("PUT", "/v1/queues/default/resume", LOG_QUEUE), "POST");
        }

        private void assertAllowed(HttpResponse<String> response, String... methods) {
            assertProblem(response, 405);
            assertThat(response.headers().firstValue("Allow")).as("Allow of %s", response.request().uri())
                    .hasValueSatisfying(allow -> assertThat(allow.split(",\\s*")).containsExactlyInAnyOrder(methods));
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /** A response read off a plain socket. */
    private record RawResponse(int status, Map<String, String> headers, String body) {
        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    /**
     * Sends a request on a plain socket, exactly as given (the test controls the framing and how much of the body
     * is sent), and reads one response.
     */
    private static RawResponse raw(String method, String path, String framingHeader, byte[] bodyBytes) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + server.port() + "\r\n"
                    + "Content-Type: application/json\r\n"
                    + framingHeader + "\r\n"
                    + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bodyBytes);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream headBytes = new ByteArrayOutputStream();
            while (!headBytes.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                assertThat(b).as("a complete response head after %s", headBytes).isNotNegative();
                headBytes.write(b);
            }
            String[] head = headBytes.toString(StandardCharsets.ISO_8859_1).strip().split("\r\n");
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < head.length; i++) {
                int colon = head[i].indexOf(':');
                headers.put(head[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), head[i].substring(colon + 1).strip());
            }
            int status = Integer.parseInt(head[0].split(" ")[1]);
            assertThat(status).as("%s %s must not fail on the server", method, path).isLessThan(500);
            assertThat(headers).as("a Content-Length in %s", headers).containsKey("content-length");
            byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            return new RawResponse(status, headers, new String(body, StandardCharsets.UTF_8));
        }
    }

    private static String quote(String text) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(text).toString();
    }

    private static JsonNode listed(String name) {
        for (JsonNode item : Json.parse(get("/v1/queues").body()).path("items")) {
            if (item.path("name").asText().equals(name)) {
                return item;
            }
        }
        throw new AssertionError("queue " + name + " not listed");
    }

    private static void assertQueueAbsent(String name) {
        assertThat(get("/v1/queues/" + name).statusCode()).as("queue %s must not exist", name).isEqualTo(404);
    }

    private static Duration duration(JsonNode node) {
        assertThat(node.isTextual()).as("duration %s", node).isTrue();
        return Duration.parse(node.asText());
    }

    private static long insertTask(String queue, String state, String runAtSql) throws SQLException {
        boolean finished = state.equals("succeeded") || state.equals("failed") || state.equals("cancelled");
        boolean running = state.equals("running");
        // a running task holds a lease that is far from expiring, so that no lease reaper takes it back
        String sql = "INSERT INTO tasks (queue, state, payload, run_at, attempts, max_attempts, lease_owner, lease_until, "
                + "finished_at) VALUES (?, ?, '{}'::jsonb, " + runAtSql + ", " + (running || finished ? 1 : 0) + ", 3, "
                + (running ? "'test', now() + interval '1 hour'" : "NULL, NULL") + ", "
                + (finished ? "now()" : "NULL") + ") RETURNING id";
        try (Connection c = server.database().connect(); PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, queue);
            st.setString(2, state);
            long id;
            try (var rows = st.executeQuery()) {
                rows.next();
                id = rows.getLong(1);
            }
            recount(c);
            return id;
        }
    }

    /** After a change of tasks by hand, the queue counts are recounted (docs/operations.md). */
    private static void recount(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SELECT spindle_recount_queues()");
        }
    }

    private static void setState(long id, String state) throws SQLException {
        try (Connection c = server.database().connect();
             PreparedStatement st = c.prepareStatement("""
                     UPDATE tasks SET state = ?,
                            lease_owner = CASE WHEN ? = 'running' THEN 'test' END,
                            lease_until = CASE WHEN ? = 'running' THEN now() + interval '1 hour' END,
                            finished_at = CASE WHEN ? IN ('succeeded', 'failed', 'cancelled') THEN now() END
                     WHERE id = ?""")) {
            for (int i = 1; i <= 4; i++) {
                st.setString(i, state);
            }
            st.setLong(5, id);
            assertThat(st.executeUpdate()).isEqualTo(1);
            recount(c);
        }
    }

    private static long countTasks(String queue) throws SQLException {
        try (Connection c = server.database().connect(); Statement st = c.createStatement();
             var rows = st.executeQuery("SELECT count(*) FROM tasks WHERE queue = '" + queue + "'")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static HttpResponse<String> get(String path) {
        return record(server.get(path));
    }

    private static HttpResponse<String> delete(String path) {
        return record(server.delete(path));
    }

    private static HttpResponse<String> put(String path, String json) {
        return record(server.put(path, json));
    }

    private static HttpResponse<String> post(String path, String json) {
        return json == null
                ? send("POST", path, null)
                : record(server.post(path, json));
    }

    private static HttpResponse<String> send(String method, String path, String json) {
        var request = HttpRequest.newBuilder(server.uri(path));
        if (json == null) {
            request.method(method, BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method, BodyPublishers.ofString(json));
        }
        return record(server.send(request));
    }

    private static HttpResponse<String> record(HttpResponse<String> response) {
        responses.add(response);
        return response;
    }
}
