package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.spindle.config.Settings;
import io.spindle.config.SettingsLoader;
import io.spindle.testing.Problems;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SPEC §6 over HTTP with keys configured: 401 without a valid key, 403 without the role, the route's own answer
 * with it; health and metrics open; {@code RateLimit-Policy} and {@code RateLimit} on every {@code /v1} response;
 * one audit line per refusal, holding no key.
 */
class SecurityApiTest {
    static final String ADMIN = "admin-key-0123456789abcdef";
    static final String PRODUCER = "producer-key-0123456789abcdef";
    static final String SUBSCRIBER = "subscriber-key-0123456789abcdef";
    static final String BOTH = "both-key-0123456789abcdef";

    static TestServer server;
    static final List<String> audit = new CopyOnWriteArrayList<>();
    static final Logger AUDIT = Logger.getLogger(Audit.class.getName());
    static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            audit.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    static Settings.Security keys() {
        return new Settings.Security(false, List.of(
                new Settings.ApiKey("ops", Set.of("admin"), SettingsLoader.sha256Hex(ADMIN)),
                new Settings.ApiKey("app", Set.of("producer"), SettingsLoader.sha256Hex(PRODUCER)),
                new Settings.ApiKey("dash", Set.of("subscriber"), SettingsLoader.sha256Hex(SUBSCRIBER)),
                new Settings.ApiKey("both", Set.of("producer", "subscriber"), SettingsLoader.sha256Hex(BOTH))));
    }

    @BeforeAll
    static void start() {
        AUDIT.addHandler(CAPTURE);
        server = TestServer.start(s -> SettingsChange.of(s).security(keys()).build());
        HttpResponse<String> created = call("PUT", "/v1/queues/sec", ADMIN, "{\"handler\": {\"type\": \"log\"}, \"paused\": true}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        AUDIT.removeHandler(CAPTURE);
        server.close();
    }

    static HttpResponse<String> call(String method, String path, String key, String body) {
        return call(server, method, path, key, body);
    }

    static HttpResponse<String> call(TestServer server, String method, String path, String key, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return server.send(request);
    }

    /**
     * Each route with each role: {@code ok} means the route itself answered (whatever it answered: 200, 201,
     * 404, 409...), {@code 403} that the role was refused.
     */
    @ParameterizedTest(name = "{0} {1}: admin {3}, producer {4}, subscriber {5}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            GET    | /v1/queues                     | -                                  | ok  | 403 | ok
            GET    | /v1/queues/sec                 | -                                  | ok  | 403 | ok
            PUT    | /v1/queues/sec2                | {"handler": {"type": "log"}}       | ok  | 403 | 403
            POST   | /v1/queues/sec2/pause          | -                                  | ok  | 403 | 403
            POST   | /v1/queues/sec2/resume         | -                                  | ok  | 403 | 403
            DELETE | /v1/queues/nosuchqueue         | -                                  | ok  | 403 | 403
            POST   | /v1/queues/sec/tasks           | {"payload": 1}                     | ok  | ok  | 403
            POST   | /v1/queues/sec/tasks/batch     | {"tasks": [{"payload": 1}]}        | ok  | ok  | 403
            GET    | /v1/queues/sec/tasks           | -                                  | ok  | ok  | ok
            GET    | /v1/queues/sec/tasks/1         | -                                  | ok  | ok  | ok
            DELETE | /v1/queues/sec/tasks/999999    | -                                  | ok  | ok  | 403
            POST   | /v1/queues/sec/tasks/999999/retry | -                               | ok  | ok  | 403
            POST   | /v1/queues/sec/tasks/retry     | {"state": "failed"}                | ok  | ok  | 403
            POST   | /v1/stream-tokens              | -                                  | ok  | ok  | ok
            GET    | /v1/topics                     | -                                  | ok  | 403 | ok
            POST   | /v1/topics/sec.t/events        | {"data": 1}                        | ok  | ok  | 403
            POST   | /v1/users/u1/notifications     | {"message": "hi"}                  | ok  | ok  | 403
            GET    | /v1/nothing/here               | -                                  | ok  | 403 | 403
            PATCH  | /v1/queues/sec                 | {}                                 | ok  | 403 | 403
            """)
    void rolesAreAppliedToEveryRoute(String method, String path, String body, String admin, String producer,
                                     String subscriber) {
        expect(method, path, body, ADMIN, admin);
        expect(method, path, body, PRODUCER, producer);
        expect(method, path, body, SUBSCRIBER, subscriber);
        HttpResponse<String> anonymous = call(method, path, null, body);
        Problems.assertProblem(anonymous, 401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"spindle\"");
    }

    private static void expect(String method, String path, String body, String key, String expected) {
        HttpResponse<String> response = call(method, path, key, body);
        if ("403".equals(expected)) {
            Problems.assertProblem(response, 403);
        } else {
            assertThat(response.statusCode()).as("%s %s -> %s", method, path, response.body()).isNotIn(401, 403, 429);
            assertThat(response.statusCode()).as("%s %s -> %s", method, path, response.body()).isLessThan(500);
        }
        assertRateLimitHeaders(response);
    }

    @Test
    void rolesCombine() {
        assertThat(call("POST", "/v1/queues/sec/tasks", BOTH, "{\"payload\": 2}").statusCode()).isEqualTo(201);
        assertThat(call("GET", "/v1/queues/sec", BOTH, null).statusCode()).isEqualTo(200);
        Problems.assertProblem(call("PUT", "/v1/queues/sec", BOTH, "{\"handler\": {\"type\": \"log\"}}"), 403);
    }

    @Test
    void aWrongKeyIsAnInvalidToken() {
        for (String key : List.of(ADMIN + "x", ADMIN.substring(1), "nope", ADMIN.toUpperCase())) {
            HttpResponse<String> response = call("GET", "/v1/queues", key, null);
            Problems.assertProblem(response, 401);
            assertThat(response.headers().firstValue("WWW-Authenticate"))
                    .hasValue("Bearer realm=\"spindle\", error=\"invalid_token\"");
            assertRateLimitHeaders(response);
        }
        HttpResponse<String> basic = server.send(HttpRequest.newBuilder(server.uri("/v1/queues"))
                                                         .header("Authorization", "Basic b3BzOnNlY3JldA=="));
        Problems.assertProblem(basic, 401);
    }

    @Test
    void healthAndMetricsStayOpen() {
        assertThat(server.get("/observe/health").statusCode()).isEqualTo(200);
        assertThat(server.get("/observe/health/ready").statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = server.get("/observe/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("RateLimit")).isEmpty();
    }

    @Test
    void everyV1ResponseCarriesTheRateLimitHeaders() {
        List<HttpResponse<String>> responses = new ArrayList<>();
        responses.add(call("GET", "/v1/queues/sec", ADMIN, null));                       // 200
        responses.add(call("GET", "/v1/queues/missing", ADMIN, null));                   // 404
        responses.add(call("GET", "/v1/queues/bad%20name", ADMIN, null));                // 400
        responses.add(call("POST", "/v1/queues/sec/tasks", ADMIN, "{\"payload\": "));   // 400 malformed
        responses.add(call("PUT", "/v1/queues", ADMIN, "{}"));                            // 405
        responses.add(call("GET", "/v1/queues", null, null));                            // 401
        responses.add(call("PUT", "/v1/queues/sec", SUBSCRIBER, "{}"));                  // 403
        for (HttpResponse<String> response : responses) {
            assertRateLimitHeaders(response);
        }
        assertThat(responses).extracting(HttpResponse::statusCode).containsExactly(200, 404, 400, 400, 405, 401, 403);
    }

    @Test
    void refusalsAreAuditedWithClientRouteAndReasonAndNoKey() {
        audit.clear();
        call("GET", "/v1/queues/sec", null, null);
        call("GET", "/v1/queues/sec", "wrong-key-wrong-key", null);
        call("DELETE", "/v1/queues/sec/tasks/5", SUBSCRIBER, null);

        assertThat(audit).hasSize(3);
        assertThat(audit.get(0)).isEqualTo(
                "refused status=401 client=addr:127.0.0.1 route=\"GET /v1/queues/{name}\" reason=\"no bearer token\"");
        assertThat(audit.get(1)).isEqualTo(
                "refused status=401 client=addr:127.0.0.1 route=\"GET /v1/queues/{name}\" reason=\"unknown key\"");
        assertThat(audit.get(2)).isEqualTo(
                "refused status=403 client=key:dash route=\"DELETE /v1/queues/{name}/tasks/{id}\" "
                        + "reason=\"needs role admin or producer\"");
        assertThat(String.join("\n", audit)).doesNotContain(SUBSCRIBER, "wrong-key", ADMIN);
    }

    @Test
    void refusalsAreCounted() {
        call("GET", "/v1/queues", null, null);
        call("PUT", "/v1/queues/sec", SUBSCRIBER, "{}");
        String metrics = server.get("/observe/metrics").body();
        assertThat(metrics).containsPattern("spindle_auth_refusals_total\\{.*status=\"401\".*} [1-9]")
                .containsPattern("spindle_auth_refusals_total\\{.*status=\"403\".*} [1-9]")
                .contains("spindle_ratelimit_refusals_total", "spindle_ratelimit_clients");
    }

    static void assertRateLimitHeaders(HttpResponse<String> response) {
        String what = response.request().method() + " " + response.request().uri().getRawPath() + " -> "
                + response.statusCode();
        assertThat(response.headers().firstValue("RateLimit-Policy")).as(what)
                .hasValueSatisfying(v -> assertThat(v).matches("\"clients\";q=\\d+;w=\\d+"));
        assertThat(response.headers().firstValue("RateLimit")).as(what)
                .hasValueSatisfying(v -> assertThat(v).matches("\"clients\";r=\\d+;t=\\d+"));
    }
}
