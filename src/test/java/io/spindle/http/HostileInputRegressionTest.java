package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.spindle.testing.Problems;
import io.spindle.testing.RawHttp;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hostile inputs that once got a 500 (or no answer), each pinned: text PostgreSQL cannot store, instants
 * outside its range, broken body framing, a negative {@code Content-Length}, an unparseable request line.
 */
class HostileInputRegressionTest {
    private static final Duration WITHIN = Duration.ofSeconds(10);
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        assertThat(server.put("/v1/queues/regress", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}").statusCode())
                .isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\\u0000b", "\\ud800", "x\\udc00y", "\\udc00\\ud800"})
    void anIdempotencyKeyPostgresCannotStoreIsABadRequest(String key) {
        HttpResponse<String> one = server.post("/v1/queues/regress/tasks", "{\"payload\": 1, \"key\": \"" + key + "\"}");
        Problems.assertInvalid(one, "key");
        HttpResponse<String> batch = server.post("/v1/queues/regress/tasks/batch",
                                                 "{\"tasks\": [{\"payload\": 1, \"key\": \"" + key + "\"}]}");
        Problems.assertInvalid(batch, "tasks[0].key");
    }

    @Test
    void aPayloadMayHoldAnyJsonString() {
        HttpResponse<String> created = server.post("/v1/queues/regress/tasks", "{\"payload\": {\"a\\u0000\": \"\\ud800\"}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    @Test
    void aHandlerPathWithNulIsABadRequest() {
        Problems.assertInvalid(server.put("/v1/queues/regress2", """
                {"handler": {"type": "http", "backends": ["http://127.0.0.1:9"], "path": "/\\u0000"}}"""), "handler.path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"+999999999-12-31T23:59:59Z", "-4713-01-01T00:00:00Z", "-1000000000-01-01T00:00:00Z",
                            "+10000-01-01T00:00:00Z", "0000-12-31T23:59:59Z"})
    void aRunAtOutsideFourDigitYearsIsABadRequest(String runAt) {
        Problems.assertInvalid(server.post("/v1/queues/regress/tasks", "{\"payload\": 1, \"runAt\": \"" + runAt + "\"}"),
                               "runAt");
    }

    @Test
    void theEdgesOfTheRangeAreAccepted() {
        for (String runAt : List.of("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")) {
            HttpResponse<String> created = server.post("/v1/queues/regress/tasks", "{\"payload\": 1, \"runAt\": \"" + runAt + "\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        }
    }

    /** One bad task must not fail the others committed with it (enqueues share a transaction). */
    @Test
    void aBadTaskDoesNotFailTheTasksCommittedWithIt() throws Exception {
        List<Callable<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String body = i % 10 == 0 ? "{\"payload\": 1, \"key\": \"bad\\u0000" + i + "\"}" : "{\"payload\": " + i + "}";
            calls.add(() -> server.post("/v1/queues/regress/tasks", body).statusCode());
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : pool.invokeAll(calls)) {
                statuses.add(f.get());
            }
            assertThat(statuses.stream().filter(s -> s == 201).count()).isEqualTo(180);
            assertThat(statuses.stream().filter(s -> s == 400).count()).isEqualTo(20);
        }
    }

    @Test
    void brokenChunkedFramingIsABadRequest() {
        RawHttp.Response response = raw("POST /v1/queues/regress/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                                + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", false);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    }

    @Test
    void aBodyCutShortIsABadRequest() {
        RawHttp.Response response = raw("POST /v1/queues/regress/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                                + "Content-Length: 100\r\n\r\n{\"payload\": 1}", true);
        assertThat(response.status()).isEqualTo(400);
    }

    @Test
    void aNegativeContentLengthIsABadRequestNotAHang() {
        RawHttp.Response response = raw("POST /v1/queues/regress/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                                + "Content-Length: -5\r\n\r\n", false);
        assertThat(response.timedOut()).isFalse();
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).contains("Content-Length");
    }

    @Test
    void contentLengthWithTransferEncodingIsABadRequest() {
        RawHttp.Response response = raw("POST /v1/queues/regress/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                                + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{}\n\r\n0\r\n\r\n", false);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).contains("Content-Length and Transfer-Encoding");
    }

    /** Helidon 4.5 refuses HTTP/1.0 with 505; a client's version is its own mistake, so it is a 400 that says why. */
    @Test
    void http10IsABadRequestThatNamesTheVersion() {
        RawHttp.Response response = raw("GET /v1/queues HTTP/1.0\r\nHost: x\r\n\r\n", false);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(response.body()).contains("HTTP/1.1");
    }

    /** Helidon 4.5 still fails on an unclosed quote in a parameter with an IndexOutOfBounds, not a bad request. */
    @ParameterizedTest
    @ValueSource(strings = {"application/json; charset=\"", "garbage", "a/b; x"})
    void anUnparseableContentTypeIsABadRequest(String contentType) {
        RawHttp.Response response = raw("POST /v1/queues/regress/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: " + contentType
                                                + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", false);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).contains("Content-Type");
    }

    @ParameterizedTest
    @ValueSource(strings = {"G@T", "GET(", "\u00e9", "G\u0000T"})
    void anUnparseableMethodIsABadRequest(String method) {
        RawHttp.Response response = raw(method + " /v1/queues HTTP/1.1\r\nHost: x\r\n\r\n", false);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.header("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(server.get("/observe/health/ready").statusCode()).isEqualTo(200);
    }

    private static RawHttp.Response raw(String request, boolean halfClose) {
        return RawHttp.exchange(server.port(), request.getBytes(StandardCharsets.UTF_8), halfClose, WITHIN);
    }
}
