package io.spindle.security;

import static io.spindle.security.SecurityApiTest.ADMIN;
import static io.spindle.security.SecurityApiTest.PRODUCER;
import static io.spindle.security.SecurityApiTest.SUBSCRIBER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.spindle.config.Settings;
import io.spindle.testing.Problems;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client rate limits over HTTP (SPEC §6) with small limits: a window of a minute, so that no test depends on
 * where a window boundary falls. Each test uses a key of its own, so each has a limiter of its own.
 */
class ClientRateLimitTest {
    private static final int PERMITS = 40;
    private static final Pattern REMAINING = Pattern.compile("\"clients\";r=(\\d+);t=(\\d+)");
    private static final String FOURTH = "fourth-key-0123456789abcdef";
    private static final String FIFTH = "fifth-key-0123456789abcdef";

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

    @BeforeAll
    static void start() {
        AUDIT.addHandler(CAPTURE);
        List<Settings.ApiKey> keys = new ArrayList<>(SecurityApiTest.keys().apiKeys());
        keys.add(new Settings.ApiKey("fourth", java.util.Set.of("admin"), io.spindle.config.SettingsLoader.sha256Hex(FOURTH)));
        keys.add(new Settings.ApiKey("fifth", java.util.Set.of("subscriber"), io.spindle.config.SettingsLoader.sha256Hex(FIFTH)));
        server = TestServer.start(s -> SettingsChange.of(s).security(new Settings.Security(false, keys))
                .clientLimits(new Settings.ClientLimits(true, PERMITS, Duration.ofMinutes(1), 1000,
                                                            Duration.ofMinutes(5), 2)).build());
        assertThat(call("PUT", "/v1/queues/limited", ADMIN, "{\"handler\": {\"type\": \"log\"}, \"paused\": true}")
                           .statusCode()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        AUDIT.removeHandler(CAPTURE);
        server.close();
    }

    static HttpResponse<String> call(String method, String path, String key, String body) {
        return SecurityApiTest.call(server, method, path, key, body);
    }

    @Test
    void theLimitRefusesWith429AndRetryAfterUntilTheWindowEnds() {
        int lastRemaining = PERMITS;
        for (int i = 0; i < PERMITS; i++) {
            HttpResponse<String> ok = call("GET", "/v1/queues/limited/tasks", SUBSCRIBER, null);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("RateLimit-Policy")).hasValue("\"clients\";q=40;w=60");
            int remaining = remaining(ok);
            assertThat(remaining).isEqualTo(lastRemaining - 1);
            lastRemaining = remaining;
        }
        audit.clear();
        HttpResponse<String> refused = call("GET", "/v1/queues/limited/tasks", SUBSCRIBER, null);
        Problems.assertProblem(refused, 429);
        long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 60L);
        assertThat(remaining(refused)).isZero();
        assertThat(audit).containsExactly("refused status=429 client=key:dash route=\"GET /v1/queues/{name}/tasks\" "
                                                  + "reason=\"rate limit exceeded\"");
        assertThat(call("GET", "/v1/queues/limited", ADMIN, null).statusCode()).as("another client").isEqualTo(200);
        assertThat(server.get("/observe/health/ready").statusCode()).as("health is not limited").isEqualTo(200);
    }

    @Test
    void aBatchCostsOnePermitPerHundredTasks() {
        HttpResponse<String> one = call("POST", "/v1/queues/limited/tasks/batch", PRODUCER, batch(1));
        assertThat(one.statusCode()).as(one.body()).isEqualTo(201);
        assertThat(remaining(one)).isEqualTo(PERMITS - 1);

        HttpResponse<String> hundredOne = call("POST", "/v1/queues/limited/tasks/batch", PRODUCER, batch(101));
        assertThat(hundredOne.statusCode()).isEqualTo(201);
        assertThat(remaining(hundredOne)).isEqualTo(PERMITS - 1 - 2);

        for (int left = PERMITS - 3 - 10; left >= 0; left -= 10) {
            HttpResponse<String> thousand = call("POST", "/v1/queues/limited/tasks/batch", PRODUCER, batch(1000));
            assertThat(thousand.statusCode()).as(thousand.body()).isEqualTo(201);
            assertThat(remaining(thousand)).isEqualTo(left);
        }
        HttpResponse<String> refused = call("POST", "/v1/queues/limited/tasks/batch", PRODUCER, batch(999));
        Problems.assertProblem(refused, 429); // costs 10, 7 left: refused, nothing enqueued
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(refused.body()).contains("999 tasks costs 10 permits");
        assertThat(call("GET", "/v1/queues/limited/tasks?limit=500", ADMIN, null).body())
                .as("the refused batch stored nothing").doesNotContain("\"payload\":999");
    }

    @Test
    void anInvalidBatchCostsOnlyItsRequest() {
        HttpResponse<String> invalid = call("POST", "/v1/queues/limited/tasks/batch", FOURTH,
                                            "{\"tasks\": [" + "{\"payload\": 1, \"bogus\": 1},".repeat(999) + "{}]}");
        Problems.assertProblem(invalid, 400);
        assertThat(remaining(invalid)).isEqualTo(PERMITS - 1);
    }

    @Test
    void openStreamsAreBoundedPerClient() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<HttpResponse<InputStream>> open = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            HttpResponse<InputStream> stream = stream(client, FIFTH, "/v1/topics/limits.t/events");
            assertThat(stream.statusCode()).isEqualTo(200);
            open.add(stream);
        }
        HttpResponse<String> third = call("GET", "/v1/users/u1/notifications", FIFTH, null);
        Problems.assertProblem(third, 429);
        assertThat(third.headers().firstValue("Retry-After")).isPresent();
        assertThat(stream(client, ADMIN, "/v1/topics/limits.t/events").statusCode()).as("another client").isEqualTo(200);

        open.getFirst().body().close();
        // the server learns that the client left when it next writes: publish until the slot is given back
        HttpResponse<InputStream> again = await("a slot is free again once a stream ends").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    call("POST", "/v1/topics/limits.t/events", ADMIN, "{\"data\": 1}");
                    HttpResponse<InputStream> attempt = stream(client, FIFTH, "/v1/topics/limits.t/events");
                    if (attempt.statusCode() != 200) {
                        attempt.body().close();
                    }
                    return attempt;
                }, attempt -> attempt.statusCode() == 200);
        again.body().close();
        open.get(1).body().close();
    }

    private static HttpResponse<InputStream> stream(HttpClient client, String key, String path)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", "Bearer " + key)
                                   .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(10)).build(),
                           HttpResponse.BodyHandlers.ofInputStream());
    }

    private static int remaining(HttpResponse<?> response) {
        String header = response.headers().firstValue("RateLimit").orElseThrow(() -> new AssertionError("no RateLimit"));
        Matcher m = REMAINING.matcher(header);
        assertThat(m.matches()).as(header).isTrue();
        assertThat(Integer.parseInt(m.group(2))).isBetween(0, 60);
        return Integer.parseInt(m.group(1));
    }

    private static String batch(int n) {
        StringBuilder body = new StringBuilder("{\"tasks\": [");
        for (int i = 0; i < n; i++) {
            body.append(i == 0 ? "" : ",").append("{\"payload\": ").append(n).append('}');
        }
        return body.append("]}").toString();
    }
}
