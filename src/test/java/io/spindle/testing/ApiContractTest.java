package io.spindle.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.net.ssl.SSLSession;

import org.junit.jupiter.api.Test;

/** The contract check itself: it passes what the document describes and fails each kind of drift. */
class ApiContractTest {
    static final String TASK = """
            {"id":"1","queue":"q","state":"pending","payload":{},"priority":0,"runAt":"2026-12-07T00:00:00Z","attempts":0,
             "maxAttempts":5,"key":null,"lastError":null,"result":null,"createdAt":"2026-12-07T00:00:00Z",
             "updatedAt":"2026-12-07T00:00:00Z","finishedAt":null}""";

    private record Answer(HttpRequest request, int statusCode, HttpHeaders headers, String body) implements HttpResponse<String> {
        @Override
        public Optional<HttpResponse<String>> previousResponse() {
            return Optional.empty();
        }

        @Override
        public Optional<SSLSession> sslSession() {
            return Optional.empty();
        }

        @Override
        public URI uri() {
            return request.uri();
        }

        @Override
        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }

    private static void check(String method, String path, int status, Map<String, List<String>> headers, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:1" + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        ApiContract.check(request, new Answer(request, status, HttpHeaders.of(headers, (k, v) -> true), body));
    }

    private static Map<String, List<String>> json() {
        return Map.of("Content-Type", List.of("application/json"));
    }

    @Test
    void whatTheDocumentDescribesPasses() {
        assertThatCode(() -> check("GET", "/v1/queues/q/tasks/1", 200, json(), TASK)).doesNotThrowAnyException();
        assertThatCode(() -> check("POST", "/v1/queues/q/tasks", 201,
                                   Map.of("Content-Type", List.of("application/json"), "Location", List.of("/v1/queues/q/tasks/1")), TASK))
                .doesNotThrowAnyException();
        assertThatCode(() -> check("GET", "/v1/queues/q/tasks/batch", 405,
                                   Map.of("Content-Type", List.of("application/problem+json")),
                                   "{\"type\":\"about:blank\",\"title\":\"Method Not Allowed\",\"status\":405}"))
                .as("a method the path does not have").doesNotThrowAnyException();
        assertThatCode(() -> check("GET", "/elsewhere", 200, Map.of(), "anything")).as("outside /v1").doesNotThrowAnyException();
    }

    @Test
    void eachKindOfDriftFails() {
        assertThatThrownBy(() -> check("GET", "/v1/queues/q/tasks/1", 200, json(), TASK.replace("\"key\":null", "\"key\":null,\"extra\":1")))
                .hasMessageContaining("breaks its schema").hasMessageContaining("extra");
        assertThatThrownBy(() -> check("GET", "/v1/queues/q/tasks/1", 200, json(), TASK.replace("\"state\":\"pending\"", "\"state\":\"lost\"")))
                .hasMessageContaining("breaks its schema");
        assertThatThrownBy(() -> check("GET", "/v1/queues/q/tasks/1", 418, json(), "{}"))
                .hasMessageContaining("does not list");
        assertThatThrownBy(() -> check("POST", "/v1/queues/q/tasks", 201, json(), TASK))
                .hasMessageContaining("Location");
        assertThatThrownBy(() -> check("GET", "/v1/queues/q/tasks/1", 200, Map.of("Content-Type", List.of("text/plain")), "hi"))
                .hasMessageContaining("text/plain");
        assertThatThrownBy(() -> check("GET", "/v1/undocumented", 200, json(), "{}"))
                .hasMessageContaining("no such operation");
        assertThatThrownBy(() -> check("GET", "/v1/queues", 200,
                                       Map.of("Content-Type", List.of("application/json"), "RateLimit", List.of("limit=1")), "{\"items\":[]}"))
                .hasMessageContaining("RateLimit");
        assertThatThrownBy(() -> check("DELETE", "/v1/queues/q", 204, Map.of(), "{}"))
                .hasMessageContaining("describes none");
    }

    @Test
    void theDocumentHasEveryRouteOfTheSpec() {
        assertThat(ApiContract.operations()).contains(
                "GET /v1/queues", "PUT /v1/queues/{name}", "GET /v1/queues/{name}", "DELETE /v1/queues/{name}",
                "POST /v1/queues/{name}/pause", "POST /v1/queues/{name}/resume", "POST /v1/queues/{name}/tasks",
                "GET /v1/queues/{name}/tasks", "POST /v1/queues/{name}/tasks/batch", "POST /v1/queues/{name}/tasks/retry",
                "GET /v1/queues/{name}/tasks/{id}", "DELETE /v1/queues/{name}/tasks/{id}",
                "POST /v1/queues/{name}/tasks/{id}/retry", "POST /v1/queues/{name}/tasks/{id}/heartbeat",
                "POST /v1/queues/{name}/tasks/{id}/complete", "POST /v1/queues/{name}/tasks/{id}/fail",
                "GET /v1/queues/{name}/schedules", "PUT /v1/queues/{name}/schedules/{schedule}",
                "GET /v1/queues/{name}/schedules/{schedule}", "DELETE /v1/queues/{name}/schedules/{schedule}",
                "POST /v1/queues/{name}/schedules/{schedule}/pause", "POST /v1/queues/{name}/schedules/{schedule}/resume",
                "GET /v1/topics", "POST /v1/topics/{topic}/events", "GET /v1/topics/{topic}/events",
                "POST /v1/users/{userId}/notifications", "GET /v1/users/{userId}/notifications", "POST /v1/stream-tokens");
    }
}
