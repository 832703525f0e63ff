package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.testing.Json;
import io.spindle.testing.Problems;
import io.spindle.testing.SettingsChange;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/stream-tokens} and the {@code access_token} query parameter: what lets a browser's EventSource,
 * which sends no headers, open a stream as its key — and nothing more than that.
 */
class StreamTokenApiTest {
    static TestServer server;
    static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        server = TestServer.start(s -> SettingsChange.of(s).security(SecurityApiTest.keys()).build());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode mint(String key) {
        HttpResponse<String> minted = SecurityApiTest.call(server, "POST", "/v1/stream-tokens", key, null);
        assertThat(minted.statusCode()).as(minted.body()).isEqualTo(200);
        return Json.parse(minted.body());
    }

    /** Opens a stream without any header but the token in its URL; answers its status and content type. */
    private static HttpResponse<InputStream> open(String path, String token) throws Exception {
        String url = server.uri(path) + "?access_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
        HttpResponse<InputStream> response = CLIENT.send(HttpRequest.newBuilder(java.net.URI.create(url))
                                                                 .timeout(Duration.ofSeconds(10)).build(),
                                                         HttpResponse.BodyHandlers.ofInputStream());
        response.body().close();
        return response;
    }

    @Test
    void aSubscribersTokenOpensStreamsAsThatKey() throws Exception {
        JsonNode minted = mint(SecurityApiTest.SUBSCRIBER);
        assertThat(minted.path("key").asText()).isEqualTo("dash");
        assertThat(minted.path("roles").toString()).isEqualTo("[\"subscriber\"]");
        Instant expires = Instant.parse(minted.path("expiresAt").asText());
        assertThat(Duration.between(Instant.now(), expires)).isBetween(Duration.ofMinutes(4), StreamTokens.LIFETIME);

        String token = minted.path("token").asText();
        HttpResponse<InputStream> stream = open("/v1/topics/tasks.sec/events", token);
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(open("/v1/users/u1/notifications", token).statusCode()).isEqualTo(200);
    }

    @Test
    void aTokenOpensOnlyWhatItsKeyMayAndNothingButStreams() throws Exception {
        String producer = mint(SecurityApiTest.PRODUCER).path("token").asText();
        assertThat(open("/v1/topics/news/events", producer).statusCode()).as("a producer may not subscribe").isEqualTo(403);

        String subscriber = mint(SecurityApiTest.SUBSCRIBER).path("token").asText();
        HttpResponse<String> list = server.get("/v1/queues?access_token=" + URLEncoder.encode(subscriber, StandardCharsets.UTF_8));
        Problems.assertProblem(list, 401); // tokens open streams only; a token in a URL elsewhere is no key

        String altered = subscriber.substring(0, subscriber.length() - 3) + "AAA";
        assertThat(open("/v1/topics/news/events", altered).statusCode()).isEqualTo(401);
        assertThat(open("/v1/topics/news/events", "st1.bm9ib2R5.9999999999.AAAA").statusCode()).isEqualTo(401);
        Problems.assertProblem(SecurityApiTest.call(server, "POST", "/v1/stream-tokens", "wrong-key", null), 401);
    }

    @Test
    void withoutKeysNoTokenIsNeeded() {
        try (TestServer open = TestServer.start()) {
            JsonNode minted = Json.parse(open.post("/v1/stream-tokens", "{}").body());
            assertThat(minted.path("token").isNull()).isTrue();
            assertThat(minted.path("roles").toString()).isEqualTo("[\"admin\",\"producer\",\"subscriber\"]");
        }
    }
}
