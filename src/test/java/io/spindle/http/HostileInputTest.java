package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.testing.Json;
import io.spindle.testing.RawHttp;
import io.spindle.testing.TestServer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * SPEC §7, generated: hostile bodies, paths, queries and headers, sent over raw sockets (so that nothing
 * sanitises them on the way), each answered with a 4xx problem document or a success, never a 5xx, a stack trace
 * or silence; and after each property the service still serves a plain client. More than 10,000 requests in all.
 */
class HostileInputTest {
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(15);
    private static final AtomicInteger SENT = new AtomicInteger();
    private static final com.fasterxml.jackson.databind.ObjectMapper QUOTER = new com.fasterxml.jackson.databind.ObjectMapper();
    private static TestServer server;

    /** One request as bytes, what it is (for the failure message), and whether to half-close after sending it. */
    record Raw(String label, byte[] bytes, boolean halfClose) {
        @Override
        public String toString() {
            return label;
        }
    }

    @BeforeContainer
    static void start() {
        server = TestServer.start();
        // paused: what the fuzz enqueues stays put, and nothing it enqueues is run or logged
        assertThat(server.put("/v1/queues/fuzz", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}").statusCode())
                .isEqualTo(201);
        assertThat(server.post("/v1/queues/fuzz/tasks", "{\"payload\": 1}").statusCode()).isEqualTo(201);
    }

    @AfterContainer
    static void stop() {
        try {
            System.out.println("HostileInputTest: " + SENT.get() + " hostile requests sent");
            assertThat(SENT.get()).as("hostile requests sent").isGreaterThanOrEqualTo(10_000);
        } finally {
            server.close();
        }
    }

    @AfterProperty
    void theServiceStillServes() {
        assertThat(server.get("/observe/health/ready").statusCode()).isEqualTo(200);
        assertThat(server.post("/v1/queues/fuzz/tasks", "{\"payload\": {\"still\": \"fine\"}}").statusCode()).isEqualTo(201);
        assertThat(server.get("/v1/queues/fuzz/tasks?limit=5").statusCode()).isEqualTo(200);
    }

    @Property(tries = 3500, shrinking = ShrinkingMode.OFF)
    void hostileBodies(@ForAll("bodies") Raw request) {
        answered(request);
    }

    @Property(tries = 2500, shrinking = ShrinkingMode.OFF)
    void hostilePaths(@ForAll("paths") Raw request) {
        answered(request);
    }

    @Property(tries = 2000, shrinking = ShrinkingMode.OFF)
    void hostileQueries(@ForAll("queries") Raw request) {
        answered(request);
    }

    @Property(tries = 2500, shrinking = ShrinkingMode.OFF)
    void hostileHeaders(@ForAll("headers") Raw request) {
        answered(request);
    }

    /** No 5xx, no silence; an error is a problem document without a stack trace. */
    private static void answered(Raw request) {
        SENT.incrementAndGet();
        RawHttp.Response response = RawHttp.exchange(server.port(), request.bytes(), request.halfClose(), ANSWER_WITHIN);
        Statistics.label("status").collect(response.status());
        String what = request.label() + " -> " + response.status() + " " + abbreviate(response.body());
        assertThat(response.timedOut()).as("answered in time: " + what).isFalse();
        assertThat(response.status()).as("answered at all: " + what).isPositive();
        assertThat(response.status()).as(what).isLessThan(500);
        assertThat(response.body()).as(what).doesNotContain("\tat ");
        if (response.status() >= 400) {
            assertThat(response.body()).as(what).doesNotContain("Exception", "SQL", "incident");
            assertThat(response.header("Content-Type")).as(what)
                    .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
            if (!request.label().startsWith("HEAD ")) {
                JsonNode problem = Json.parse(response.body());
                assertThat(problem.path("status").asInt()).as(what).isEqualTo(response.status());
                assertThat(problem.path("title").asText()).as(what).isNotBlank();
                assertThat(problem.path("detail").asText()).as(what).isNotBlank();
            }
        }
    }

    // ---------------------------------------------------------------- bodies

    @Provide
    Arbitrary<Raw> bodies() {
        Arbitrary<String> route = Arbitraries.of(
                "POST /v1/queues/fuzz/tasks", "POST /v1/queues/fuzz/tasks/batch", "PUT /v1/queues/fuzz2",
                "PUT /v1/queues/fuzz3", "POST /v1/topics/fuzz.t/events", "POST /v1/users/u1/notifications",
                "POST /v1/queues/nosuchqueue/tasks", "POST /v1/queues/fuzz/tasks/1/retry", "DELETE /v1/queues/fuzz/tasks/1",
                "POST /v1/queues/fuzz/pause");
        Arbitrary<String> contentType = Arbitraries.of(
                "application/json", "application/json", "application/json", "application/json; charset=utf-8",
                "application/json; charset=utf-16", "application/json; charset=klingon", "application/merge-patch+json",
                "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
                "", "garbage", "application/", "*/*", "application/json;;;", null);
        Arbitrary<Framing> framing = Arbitraries.frequency(
                Tuple.of(12, Framing.LENGTH), Tuple.of(2, Framing.CHUNKED), Tuple.of(1, Framing.CHUNKED_BROKEN),
                Tuple.of(1, Framing.LENGTH_TOO_SHORT), Tuple.of(1, Framing.LENGTH_TOO_LONG), Tuple.of(1, Framing.NEGATIVE),
                Tuple.of(1, Framing.NONE));
        return Combinators.combine(route, body(), contentType, framing).as(HostileInputTest::withBody);
    }

    /** How the body's length is declared: honestly, or in one of the ways a client can lie. */
    enum Framing { LENGTH, CHUNKED, CHUNKED_BROKEN, LENGTH_TOO_SHORT, LENGTH_TOO_LONG, NEGATIVE, NONE }

    private static Raw withBody(String route, byte[] body, String contentType, Framing framing) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder head = new StringBuilder(route).append(" HTTP/1.1\r\nHost: localhost\r\n");
        if (contentType != null) {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        byte[] payload = body;
        boolean halfClose = false;
        switch (framing) {
            case LENGTH -> head.append("Content-Length: ").append(body.length).append("\r\n");
            case LENGTH_TOO_SHORT -> head.append("Content-Length: ").append(body.length / 2).append("\r\n");
            case LENGTH_TOO_LONG -> {
                head.append("Content-Length: ").append(body.length + 10).append("\r\n");
                halfClose = true;
            }
            case NEGATIVE -> head.append("Content-Length: -").append(body.length).append("\r\n");
            case CHUNKED, CHUNKED_BROKEN -> {
                head.append("Transfer-Encoding: chunked\r\n");
                payload = chunked(body, framing == Framing.CHUNKED_BROKEN);
                halfClose = framing == Framing.CHUNKED_BROKEN;
            }
            case NONE -> halfClose = true;
        }
        head.append("Connection: close\r\n\r\n");
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(payload);
        String label = route + " [" + framing + ", " + contentType + "] " + abbreviate(new String(body, StandardCharsets.ISO_8859_1));
        return new Raw(label, out.toByteArray(), halfClose);
    }

    private static byte[] chunked(byte[] body, boolean broken) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int chunk = Math.max(1, body.length / 3);
        for (int i = 0; i < body.length; i += chunk) {
            int n = Math.min(chunk, body.length - i);
            out.writeBytes((broken && i > 0 ? "zz" : Integer.toHexString(n)).getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.write(body, i, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        if (!broken) {
            out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        return out.toByteArray();
    }

    private Arbitrary<byte[]> body() {
        Arbitrary<byte[]> documents = document().map(s -> s.getBytes(StandardCharsets.UTF_8));
        return Arbitraries.frequencyOf(
                        Tuple.of(6, documents),
                        Tuple.of(4, Combinators.combine(documents, Arbitraries.integers().between(0, 1000),
                                                                      Arbitraries.integers().between(0, 255),
                                                                      Arbitraries.of(Mutation.values()))
                                .as(HostileInputTest::mutate)),
                        Tuple.of(2, deepNesting()),
                        Tuple.of(1, hugeString()),
                        Tuple.of(1, invalidUtf8()),
                        Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(2000)));
    }

    enum Mutation { TRUNCATE, INSERT_BYTE, REPLACE_BYTE, DUPLICATE_PREFIX, TRAILING_GARBAGE, EMPTY }

    private static byte[] mutate(byte[] document, int at, int value, Mutation mutation) {
        int i = document.length == 0 ? 0 : at % document.length;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (mutation) {
            case TRUNCATE -> out.write(document, 0, i);
            case INSERT_BYTE -> {
                out.write(document, 0, i);
                out.write(value);
                out.write(document, i, document.length - i);
            }
            case REPLACE_BYTE -> {
                byte[] copy = document.clone();
                if (copy.length > 0) {
                    copy[i] = (byte) value;
                }
                out.writeBytes(copy);
            }
            case DUPLICATE_PREFIX -> {
                out.write(document, 0, i);
                out.writeBytes(document);
            }
            case TRAILING_GARBAGE -> {
                out.writeBytes(document);
                out.writeBytes(new byte[] {' ', (byte) value, '}', ']'});
            }
            case EMPTY -> {
                // nothing at all
            }
        }
        return out.toByteArray();
    }

    /** JSON documents shaped like what the routes read, with hostile values in their fields. */
    private Arbitrary<String> document() {
        Arbitrary<String> field = Arbitraries.of("payload", "delay", "runAt", "priority", "maxAttempts", "key", "tasks",
                                                 "handler", "type", "backends", "path", "timeout", "topic", "rate",
                                                 "permits", "period", "retry", "minBackoff", "maxBackoff", "retention",
                                                 "paused", "maxConcurrent", "name", "stats", "data", "message",
                                                 "\\u0000", "", "payload\\u0000", "__proto__", "a".repeat(300));
        Arbitrary<String> member = Combinators.combine(field, value(2)).as((k, v) -> "\"" + k + "\": " + v);
        Arbitrary<String> object = member.list().ofMaxSize(6).map(m -> "{" + String.join(", ", m) + "}");
        Arbitrary<String> batch = Arbitraries.integers().between(0, 1100).flatMap(n -> object.list().ofSize(Math.min(n, 3))
                .map(items -> "{\"tasks\": [" + String.join(",", repeat(items, n)) + "]}"));
        Arbitrary<String> queue = Combinators.combine(value(1), value(1), value(1), value(1)).as((type, backends, path, timeout) ->
                "{\"handler\": {\"type\": " + type + ", \"backends\": " + backends + ", \"path\": " + path
                        + ", \"timeout\": " + timeout + "}, \"maxConcurrent\": " + backends + "}");
        return Arbitraries.frequencyOf(
                Tuple.of(6, object),
                Tuple.of(2, batch),
                Tuple.of(2, queue),
                Tuple.of(1, value(3)));
    }

    private static List<String> repeat(List<String> items, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n && !items.isEmpty(); i++) {
            out.add(items.get(i % items.size()));
        }
        return out;
    }

    /** A JSON value: hostile strings (escapes PostgreSQL cannot store, lone surrogates), numbers, nesting. */
    private Arbitrary<String> value(int depth) {
        Arbitrary<String> strings = Arbitraries.of(
                "\"\"", "\"ok\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\ud83d\\ude00\"",
                "\"http://a\"", "\"http://[::1\"", "\"log\"", "\"http\"", "\"topic\"", "\"PT1S\"", "\"PT0S\"", "\"-PT1S\"",
                "\"P99999999999D\"", "\"PT99999999999999999999H\"", "\"2026-11-20T10:00:00Z\"", "\"+999999999-12-31T23:59:59Z\"",
                "\"-4713-01-01T00:00:00Z\"", "\"0000-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59.999999999Z\"",
                "\"tasks.x\"", "\"/\\u0000\"", "\"\\\\\"", "\"\\u202e\"", "\"<script>\"", "\"' OR 1=1 --\"",
                "\"%s%n\"", "\"" + "x".repeat(5000) + "\"");
        Arbitrary<String> numbers = Arbitraries.of(
                "0", "-0", "1", "-1", "100", "101", "-101", "1000", "1001", "2147483647", "2147483648", "-2147483649",
                "9223372036854775807", "9223372036854775808", "1e999999999", "-1e999999999", "1e-999999999", "1.5",
                "1e400", "0.1e1", "1E2", "9".repeat(999), "9".repeat(1001), "1." + "0".repeat(2000), "NaN", "Infinity",
                "01", "1.", ".5", "+1", "0x10");
        Arbitrary<String> plain = Arbitraries.frequencyOf(
                Tuple.of(4, strings),
                Tuple.of(4, numbers),
                Tuple.of(1, Arbitraries.of("true", "false", "null", "[]", "{}", "[[]]", "{\"\": {}}")),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(40)
                        .map(HostileInputTest::quote)));
        if (depth == 0) {
            return plain;
        }
        Arbitrary<String> nested = value(depth - 1).list().ofMaxSize(4).map(items -> "[" + String.join(",", items) + "]");
        Arbitrary<String> object = Combinators.combine(Arbitraries.of("a", "type", "\\u0000", "\\ud800"), value(depth - 1))
                .as((k, v) -> "{\"" + k + "\": " + v + "}");
        return Arbitraries.frequencyOf(
                Tuple.of(6, plain), Tuple.of(1, nested), Tuple.of(1, object));
    }

    private Arbitrary<byte[]> deepNesting() {
        return Combinators.combine(Arbitraries.of(63, 64, 65, 1000, 10_000, 100_000), Arbitraries.of("[", "{\"a\":"),
                                   Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as((depth, open, closed, wrapped) -> {
                    String close = open.equals("[") ? "]" : "}";
                    String inner = open.repeat(depth) + "1" + (closed ? close.repeat(depth) : "");
                    String doc = wrapped ? "{\"payload\": " + inner + "}" : inner;
                    return doc.getBytes(StandardCharsets.UTF_8);
                });
    }

    private Arbitrary<byte[]> hugeString() {
        return Combinators.combine(Arbitraries.of(10_000, 262_100, 262_200, 600_000, 1_048_000, 1_100_000),
                                   Arbitraries.of("payload", "key", "data", "message", "path"))
                .as((n, field) -> ("{\"" + field + "\": \"" + "a".repeat(n) + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    private Arbitrary<byte[]> invalidUtf8() {
        byte[][] sequences = {
                {(byte) 0xff}, {(byte) 0xfe, (byte) 0xff}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xe0, (byte) 0x80, (byte) 0xaf},
                {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                {(byte) 0x80}, {(byte) 0xc3}, {0}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};
        return Combinators.combine(Arbitraries.of(sequences), Arbitraries.of("payload", "key", "path", "message", "\u0000"))
                .as((bad, field) -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.writeBytes(("{\"" + field + "\": \"a").getBytes(StandardCharsets.UTF_8));
                    out.writeBytes(bad);
                    out.writeBytes("b\"}".getBytes(StandardCharsets.UTF_8));
                    return out.toByteArray();
                });
    }

    // ---------------------------------------------------------------- paths

    @Provide
    Arbitrary<Raw> paths() {
        Arbitrary<String> segment = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of("fuzz", "default", "tasks", "batch", "1", "999999999999999999999",
                                                         "-1", "retry", "pause", "events", "notifications",
                                                         "topics", "users", "queues", "v1", "observe", "health", "metrics")),
                Tuple.of(3, Arbitraries.of("..", ".", "%2e%2e", "%2E%2e%2F", "%2F", "%2f..%2f", "%00", "%ZZ", "%",
                                                         "%C0%AF", "%E2%80%AE", "%FF", "..\\..", "\\", ";x=y", ";", "a;b=c/d",
                                                         "%20", "+", "~", "'", "\"", "<", ">", "{", "}", "|", "^", "`",
                                                         "%u002e", "%252e%252e", "a%2Fb", "\u00e9", "\u2713", "\ud83d\ude00",
                                                         "\u0130", "\uff0e\uff0e", "*", "#frag", "?", "&")),
                Tuple.of(1, Arbitraries.of(65, 129, 1000, 2000, 4000, 9000, 70_000).map("q"::repeat)),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(12)));
        Arbitrary<String> prefix = Arbitraries.of("/v1/queues/", "/v1/", "/", "//", "/v1/queues/fuzz/tasks/", "/v1/topics/",
                                                  "/v1/users/", "/observe/", "", "*", "http://evil.example/v1/queues/",
                                                  "/V1/queues/", "/v1/queues/fuzz/");
        Arbitrary<String> method = Arbitraries.of("GET", "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH",
                                                  "TRACE", "CONNECT", "FOO", "G@T", "get", "GET GET", "", "\u00e9");
        return Combinators.combine(method, prefix, segment.list().ofMinSize(0).ofMaxSize(6),
                                   Arbitraries.of("/", ""), Arbitraries.of("HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0",
                                                                           "HTTP/1.1 extra", "", "http/1.1"))
                .as((m, p, segments, trailing, version) -> {
                    String path = p + String.join("/", segments) + trailing;
                    String line = m + " " + path + (version.isEmpty() ? "" : " " + version);
                    String text = line + "\r\nHost: localhost\r\nConnection: close\r\n\r\n";
                    // raw UTF-8 in the request line, as a careless client would send it
                    return new Raw(abbreviate(line), text.getBytes(StandardCharsets.UTF_8), false);
                });
    }

    // ---------------------------------------------------------------- queries

    @Provide
    Arbitrary<Raw> queries() {
        Arbitrary<String> name = Arbitraries.of("state", "limit", "cursor", "wait", "x", "", "state[]", "%00", "limit%00",
                                                "a".repeat(500));
        Arbitrary<String> value = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("pending", "running", "failed", "PENDING", "", "1", "0", "-1",
                                                         "500", "501", "2147483648", "1e3", "0x10", "PT0S", "PT0.1S",
                                                         "PT61S", "-PT1S", "P1D", "YmVmb3JlOjE", "YmVmb3JlOi0x",
                                                         "YmVmb3JlOjk5OTk5OTk5OTk5OTk5OTk5OTk5", "%FF%FE", "%", "%ZZ",
                                                         "%00", "a%26b%3Dc", "%E2%80%AE", "\u00e9", "+", "'--")),
                Tuple.of(1, Arbitraries.of(100, 1000, 3000, 7000, 20_000).map("v"::repeat)),
                Tuple.of(1, Arbitraries.strings().ofMaxLength(20)));
        Arbitrary<String> parameter = Combinators.combine(name, value, Arbitraries.of("=", "", "=="))
                .as((n, v, eq) -> n + eq + v);
        Arbitrary<String> query = Combinators.combine(parameter.list().ofMaxSize(5), Arbitraries.of(1, 1, 2, 50, 400))
                .as((parameters, times) -> String.join("&", repeat(parameters, parameters.size() * times)));
        Arbitrary<String> path = Arbitraries.of("/v1/queues/fuzz/tasks", "/v1/queues/fuzz/tasks/1",
                                                "/v1/queues/fuzz/tasks/999999", "/v1/queues", "/v1/queues/fuzz",
                                                "/v1/topics", "/v1/queues/nosuchqueue/tasks", "/observe/health",
                                                "/observe/metrics");
        return Combinators.combine(Arbitraries.of("GET", "GET", "GET", "DELETE", "POST"), path, query,
                                   Arbitraries.of("?", "??", "?&", "#", "?#"))
                .as((m, p, q, mark) -> {
                    String line = m + " " + p + mark + q + " HTTP/1.1";
                    String text = line + "\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                    return new Raw(abbreviate(line), text.getBytes(StandardCharsets.UTF_8), false);
                });
    }

    // ---------------------------------------------------------------- headers

    @Provide
    Arbitrary<Raw> headers() {
        Arbitrary<String> header = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(
                        "Authorization: Bearer", "Authorization: Bearer ", "Authorization: Basic Zm9vOmJhcg==",
                        "Authorization: Bearer " + "k".repeat(5000), "Authorization: bearer x", "Authorization:",
                        "Authorization: Bearer a\u00e9", "Idempotency-Key: ", "Idempotency-Key: " + "k".repeat(300),
                        "Idempotency-Key: caf\u00e9", "Idempotency-Key: a b", "Idempotency-Key: \u00ff\u00fe",
                        "Content-Length: 0", "Content-Length: abc", "Content-Length: 99999999999999999999",
                        "Content-Length: 1, 2", "Content-Length: -1", "Content-Length: 0x10", "Transfer-Encoding: gzip",
                        "Transfer-Encoding: chunked, identity", "Content-Encoding: gzip", "Content-Encoding: br",
                        "Expect: 100-continue", "Expect: nonsense", "Last-Event-ID: -1", "Last-Event-ID: " + "9".repeat(100),
                        "Accept: text/event-stream", "Accept: */*;q=nonsense", "Content-Type: application/json; charset=",
                        "Content-Type: ;;;", "Connection: upgrade", "Upgrade: h2c", "Upgrade: websocket",
                        "Host: ", "Host: a b", "Host: [::1", "Host: localhost:99999", "X-Forwarded-For: 1.2.3.4",
                        "Range: bytes=0-", "If-None-Match: *", " folded: header", "Bad Name: x", "Bad:Name: x", ":",
                        "X-Nul: a\u0000b", "X-Bell: \u0007", "X-Utf8: \u00e9\u2713")),
                Tuple.of(1, Arbitraries.of(1000, 8000, 16_000, 33_000, 70_000).map(n -> "X-Big: " + "b".repeat(n))));
        Arbitrary<Integer> copies = Arbitraries.of(1, 1, 1, 2, 10, 100, 1000, 3000);
        Arbitrary<String> route = Arbitraries.of("GET /v1/queues/fuzz", "GET /v1/queues/fuzz/tasks",
                                                 "POST /v1/queues/fuzz/tasks", "PUT /v1/queues/fuzz4",
                                                 "GET /v1/topics/fuzz.h/events", "GET /observe/health");
        return Combinators.combine(route, header.list().ofMinSize(1).ofMaxSize(4), copies, Arbitraries.of(true, false))
                .as((r, chosen, n, withBody) -> {
                    StringBuilder text = new StringBuilder(r).append(" HTTP/1.1\r\nConnection: close\r\n");
                    if (chosen.stream().noneMatch(h -> h.startsWith("Host:"))) {
                        text.append("Host: localhost\r\n");
                    }
                    List<String> lines = repeat(chosen, chosen.size() * n);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i);
                        // repeated headers get distinct names, so that "many headers" is many
                        text.append(n > 1 && line.startsWith("X-") ? "X-" + i + line.substring(1) : line).append("\r\n");
                    }
                    boolean declaresLength = chosen.stream().anyMatch(h -> h.startsWith("Content-Length")
                            || h.startsWith("Transfer-Encoding"));
                    String body = "{\"payload\": 1}";
                    if (withBody && !declaresLength) {
                        text.append("Content-Type: application/json\r\nContent-Length: ").append(body.length()).append("\r\n");
                    }
                    text.append("\r\n");
                    if (withBody) {
                        text.append(body);
                    }
                    String label = r + " " + abbreviate(String.join(" | ", chosen)) + " x" + n;
                    return new Raw(label, text.toString().getBytes(StandardCharsets.UTF_8), declaresLength);
                });
    }

    private static String quote(String text) {
        try {
            return QUOTER.writeValueAsString(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String text) {
        String oneLine = text.replace("\r", "\\r").replace("\n", "\\n");
        return oneLine.length() > 300 ? oneLine.substring(0, 300) + "…(" + oneLine.length() + " chars)" : oneLine;
    }
}
