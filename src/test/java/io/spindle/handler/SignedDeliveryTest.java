package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.config.Settings;
import io.spindle.testing.Backend;
import io.spindle.testing.Backend.Received;
import io.spindle.testing.Backend.Reply;
import io.spindle.testing.Json;
import io.spindle.testing.StandardWebhooks;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Signed deliveries end to end (SPEC §10): a Spindle with two signing secrets delivers to a loopback backend, and
 * what the backend received is checked with Python's hmac, not with Spindle's signer.
 */
class SignedDeliveryTest {
    private static final String OLD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String NEW_SECRET = "whsec_c2Vjb25kLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmZ2g=";
    private static final String UNRELATED_SECRET = "whsec_dW5yZWxhdGVkLXNlY3JldC0wMTIzNDU2Nzg5YWI=";
    // not ASCII, and spaced as a client might send it: the signature must cover the UTF-8 bytes on the wire
    private static final String PAYLOAD = "{\"greeting\": \"Grüße, 世界 🎉\", \"n\": [1, 2.50, 3]}";

    static TestServer server;
    static final List<Backend> backends = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        server = TestServer.start(settings -> SettingsChange.of(settings).delivery(new Settings.Delivery(
                List.of(signingSecret(OLD_SECRET), signingSecret(NEW_SECRET)))).build());
    }

    @AfterAll
    static void stop() {
        server.close();
        backends.forEach(Backend::close);
    }

    @Test
    void eachDeliveryCarriesTheHeadersAndOneSignaturePerSecretThatAnIndependentHmacVerifies() throws Exception {
        Backend backend = backend();
        queue(server, "signed", backend.uri(), "PT0.1S");

        JsonNode task = enqueue(server, "signed", "{\"payload\": " + PAYLOAD + "}");
        Received request = backend.await(1, Duration.ofSeconds(10)).getFirst();

        String id = request.header("webhook-id");
        String timestamp = request.header("webhook-timestamp");
        String signature = request.header("webhook-signature");
        assertThat(id).isEqualTo(task.path("id").asText() + "-1");
        assertThat(timestamp).matches("[1-9][0-9]*");
        assertThat(Long.parseLong(timestamp)).as("seconds since the epoch, near the request's arrival")
                .isBetween(request.at().getEpochSecond() - 5, request.at().getEpochSecond() + 1);
        byte[] body = request.body().getBytes(StandardCharsets.UTF_8);
        assertThat(Json.parse(request.body())).isEqualTo(Json.parse(PAYLOAD));

        List<String> sent = List.of(signature.split(" "));
        assertThat(sent).as("one v1 signature per secret, old first").hasSize(2)
                .containsExactlyElementsOf(StandardWebhooks.expectedSignatures(id, timestamp, body,
                                                                               List.of(OLD_SECRET, NEW_SECRET)));
        // each signature verifies with its own secret alone, as a backend that knows only one of them checks it
        assertThat(StandardWebhooks.expectedSignatures(id, timestamp, body, List.of(NEW_SECRET))).containsExactly(sent.get(1));
        assertThat(StandardWebhooks.expectedSignatures(id, timestamp, body, List.of(OLD_SECRET))).containsExactly(sent.get(0));
        // and the check can fail: another secret, another id, another timestamp or another body do not verify
        assertThat(StandardWebhooks.expectedSignatures(id, timestamp, body, List.of(UNRELATED_SECRET)))
                .doesNotContainAnyElementsOf(sent);
        assertThat(StandardWebhooks.expectedSignatures(id + "0", timestamp, body, List.of(OLD_SECRET)))
                .doesNotContainAnyElementsOf(sent);
        assertThat(StandardWebhooks.expectedSignatures(id, Long.toString(Long.parseLong(timestamp) + 1), body,
                                                       List.of(OLD_SECRET))).doesNotContainAnyElementsOf(sent);
        assertThat(StandardWebhooks.expectedSignatures(id, timestamp, (request.body() + " ").getBytes(StandardCharsets.UTF_8),
                                                       List.of(OLD_SECRET))).doesNotContainAnyElementsOf(sent);
    }

    @Test
    void aRetryIsANewMessageWithItsOwnIdAndALaterTimestampAndVerifiesToo() throws Exception {
        Backend backend = backend().answer(Backend.sequence(Reply.json(503, "{\"busy\": true}"), Reply.OK));
        // a backoff of exactly 1 s puts the second attempt in a later second than the first
        queue(server, "signed-retry", backend.uri(), "PT1S");

        JsonNode task = enqueue(server, "signed-retry", "{\"payload\": {\"n\": 7}}");
        List<Received> requests = backend.await(2, Duration.ofSeconds(15));

        String taskId = task.path("id").asText();
        assertThat(requests).extracting(r -> r.header("webhook-id")).containsExactly(taskId + "-1", taskId + "-2");
        long first = Long.parseLong(requests.get(0).header("webhook-timestamp"));
        long second = Long.parseLong(requests.get(1).header("webhook-timestamp"));
        assertThat(second).as("the retry is signed when it is sent").isGreaterThan(first);
        assertThat(second).isBetween(requests.get(1).at().getEpochSecond() - 5, requests.get(1).at().getEpochSecond() + 1);
        for (Received request : requests) {
            assertThat(request.header("webhook-signature").split(" ")).containsExactlyElementsOf(
                    StandardWebhooks.expectedSignatures(request.header("webhook-id"), request.header("webhook-timestamp"),
                                                        request.body().getBytes(StandardCharsets.UTF_8),
                                                        List.of(OLD_SECRET, NEW_SECRET)));
        }
    }

    @Test
    void withoutASecretDeliveriesCarryNoWebhookHeaders() throws Exception {
        try (TestServer unsigned = TestServer.start()) {
            Backend backend = backend();
            queue(unsigned, "unsigned", backend.uri(), "PT0.1S");

            enqueue(unsigned, "unsigned", "{\"payload\": 1}");
            Received request = backend.await(1, Duration.ofSeconds(10)).getFirst();

            assertThat(request.header("Spindle-Task-Id")).isNotNull();
            assertThat(request.headers().keySet()).map(String::toLowerCase).noneMatch(name -> name.startsWith("webhook-"));
        }
    }

    private static Settings.SigningSecret signingSecret(String whsec) {
        return new Settings.SigningSecret(Base64.getDecoder().decode(whsec.substring("whsec_".length())));
    }

    private static Backend backend() {
        Backend backend = Backend.start();
        backends.add(backend);
        return backend;
    }

    private static void queue(TestServer on, String name, URI backend, String backoff) {
        var response = on.put("/v1/queues/" + name, """
                {"handler": {"type": "http", "backends": ["%s"], "path": "/hook", "timeout": "PT5S"},
                 "retry": {"maxAttempts": 3, "minBackoff": "%s", "maxBackoff": "%s"}}""".formatted(backend, backoff, backoff));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    }

    private static JsonNode enqueue(TestServer on, String queue, String body) {
        var response = on.post("/v1/queues/" + queue + "/tasks", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return Json.parse(response.body());
    }
}
