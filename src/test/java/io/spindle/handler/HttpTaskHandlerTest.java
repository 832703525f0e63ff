package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import io.spindle.task.Task;
import io.spindle.task.TaskState;
import io.spindle.testing.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpTaskHandlerTest {
    private static final Instant NOW = Instant.parse("2026-11-20T10:00:00Z");
    private static final String PAYLOAD = "{\"to\":\"a@example.com\",\"n\":[1,2,3]}";

    private final List<Backend> backends = new ArrayList<>();
    private HttpTaskHandler handler;
    private Backend backend;

    @BeforeEach
    void setUp() {
        handler = new HttpTaskHandler(Duration.ofSeconds(10), Clock.fixed(NOW, ZoneOffset.UTC));
        backend = backend();
    }

    @AfterEach
    void tearDown() {
        handler.close();
        backends.forEach(Backend::close);
    }

    @Test
    void postsThePayloadWithTheSpindleHeaders() throws Exception {
        Outcome outcome = handler.handle(queue("emails", backend.uri()), task(42, "emails", 2));

        assertThat(outcome).isInstanceOf(Outcome.Success.class);
        Backend.Received request = backend.await(1, Duration.ofSeconds(5)).getFirst();
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/hook");
        assertThat(request.body()).isEqualTo(PAYLOAD);
        assertThat(request.header("Content-Type")).startsWith("application/json");
        assertThat(request.header("Spindle-Task-Id")).isEqualTo("42");
        assertThat(request.header("Spindle-Queue")).isEqualTo("emails");
        assertThat(request.header("Spindle-Attempt")).isEqualTo("2");
        assertThat(request.header("Idempotency-Key")).isEqualTo("42");
    }

    @Test
    void aJsonAnswerBecomesTheResult() throws Exception {
        backend.answer(reply(200, "{\"messageId\":\"m-1\",\"queued\":true}", "Content-Type", "application/json"));

        assertThat(handle()).isEqualTo(new Outcome.Success("{\"messageId\":\"m-1\",\"queued\":true}"));
    }

    @Test
    void anAnswerThatIsNotJsonGivesTheStatus() throws Exception {
        backend.answer(reply(200, "OK, sent"));
        assertThat(handle()).isEqualTo(new Outcome.Success("{\"status\":200}"));

        backend.answer(reply(201, "{\"half\":"));
        assertThat(handle()).isEqualTo(new Outcome.Success("{\"status\":201}"));

        backend.answer(reply(204, ""));
        assertThat(handle()).isEqualTo(new Outcome.Success("{\"status\":204}"));
    }

    @Test
    void anAnswerOfExactly64KiBIsKeptAndOneByteMoreIsNot() throws Exception {
        String fits = jsonString(HttpTaskHandler.MAX_RESULT_BYTES);
        backend.answer(reply(200, fits));
        assertThat(handle()).isEqualTo(new Outcome.Success(fits));

        backend.answer(reply(200, jsonString(HttpTaskHandler.MAX_RESULT_BYTES + 1)));
        assertThat(handle()).isEqualTo(new Outcome.Success("{\"status\":200}"));
    }

    @Test
    void anEndlessAnswerIsCutOffNotBuffered() throws Exception {
        backend.answerExchange(exchange -> {
            exchange.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[8192];
            java.util.Arrays.fill(chunk, (byte) ' ');
            try (OutputStream out = exchange.getResponseBody()) {
                out.write('[');
                for (int i = 0; i < 1_000_000; i++) {
                    out.write(chunk);
                }
            } catch (IOException expected) {
                // the client hung up after its 64 KiB
            }
        });

        long start = System.nanoTime();
        assertThat(handle()).isEqualTo(new Outcome.Success("{\"status\":200}"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aSuccessWhoseBodyStallsIsStillASuccess() throws Exception {
        backend.answerExchange(exchange -> {
            exchange.sendResponseHeaders(200, 1_000);
            OutputStream out = exchange.getResponseBody();
            out.write("{\"partial\":".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.flush();
            backend.hang();
        });

        Outcome outcome = handler.handle(queue("stall", Duration.ofMillis(300), backend.uri()), task(1, "stall", 1));

        assertThat(outcome).isEqualTo(new Outcome.Success("{\"status\":200}"));
    }

    @Test
    void serviceUnavailableIsRetriedNoSoonerThanRetryAfterSeconds() throws Exception {
        backend.answer(reply(503, "down for maintenance", "Retry-After", "7"));

        Outcome outcome = handle();

        assertThat(outcome).isInstanceOf(Outcome.Retry.class);
        Outcome.Retry retry = (Outcome.Retry) outcome;
        assertThat(retry.notBefore()).contains(Duration.ofSeconds(7));
        assertThat(retry.error()).matches("HTTP 503 from " + backend.uri() + "/hook after \\d+ ms: down for maintenance");
    }

    @Test
    void retryAfterMayBeAnHttpDate() throws Exception {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(NOW.plusSeconds(90),
                                                                                          ZoneOffset.UTC));
        backend.answer(reply(429, "", "Retry-After", date));

        assertThat(handle()).isInstanceOfSatisfying(Outcome.Retry.class,
                retry -> assertThat(retry.notBefore()).contains(Duration.ofSeconds(90)));
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429, 500, 502, 503, 504})
    void overloadAndServerErrorsAreRetried(int status) throws Exception {
        backend.answer(reply(status, ""));

        assertThat(handle()).isInstanceOfSatisfying(Outcome.Retry.class, retry -> {
            assertThat(retry.error()).startsWith("HTTP " + status + " from ");
            assertThat(retry.notBefore()).isEmpty();
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 409, 410, 413, 422})
    void otherClientErrorsFailAtOnce(int status) throws Exception {
        backend.answer(reply(status, "{\"error\":\"no such mailbox\"}"));

        assertThat(handle()).isInstanceOfSatisfying(Outcome.Fail.class,
                fail -> assertThat(fail.error()).matches(
                        "HTTP " + status + " from .*/hook after \\d+ ms: \\{\"error\":\"no such mailbox\"}"));
    }

    @Test
    void aRedirectIsNotFollowedAndIsRetried() throws Exception {
        Backend elsewhere = backend();
        backend.answer(reply(307, "", "Location", elsewhere.uri() + "/hook"));

        assertThat(handle()).isInstanceOfSatisfying(Outcome.Retry.class,
                retry -> assertThat(retry.error()).startsWith("HTTP 307 from "));
        assertThat(elsewhere.received()).isEmpty();
    }

    @Test
    void aBackendSlowerThanTheTimeoutIsRetriedWhenTheTimeoutEnds() throws Exception {
        backend.answerExchange(exchange -> backend.hang());
        Duration timeout = Duration.ofMillis(300);

        long start = System.nanoTime();
        Outcome outcome = handler.handle(queue("slow", timeout, backend.uri()), task(1, "slow", 1));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(outcome).isInstanceOfSatisfying(Outcome.Retry.class,
                retry -> assertThat(retry.error()).matches("timeout \\(PT0.3S\\) from .*/hook after \\d+ ms"));
        assertThat(took).isBetween(timeout.minusMillis(50), timeout.plusSeconds(1));
    }

    @Test
    void aRefusedConnectionIsRetried() throws Exception {
        URI closed = Backend.deadUri();

        assertThat(handler.handle(queue("q", closed), task(1, "q", 1))).isInstanceOfSatisfying(Outcome.Retry.class,
                retry -> assertThat(retry.error()).matches("ConnectException.* from " + closed + "/hook after \\d+ ms"));
    }

    @Test
    void tasksTakeTheBackendsInTurn() throws Exception {
        Backend second = backend();
        Queue queue = queue("pair", backend.uri(), second.uri());

        for (int i = 0; i < 10; i++) {
            assertThat(handler.handle(queue, task(i, "pair", 1))).isInstanceOf(Outcome.Success.class);
        }

        assertThat(backend.received()).hasSize(5);
        assertThat(second.received()).hasSize(5);
    }

    @Test
    void aDeadBackendIsSkippedAfterThreeFailures() throws Exception {
        URI dead = Backend.deadUri();
        Queue queue = queue("half", dead, backend.uri());

        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            outcomes.add(handler.handle(queue, task(i, "half", 1)));
        }

        assertThat(outcomes).filteredOn(Outcome.Retry.class::isInstance).hasSize(3);
        assertThat(outcomes).filteredOn(Outcome.Success.class::isInstance).hasSize(9);
        assertThat(backend.received()).hasSize(9);
    }

    @Test
    void anOverloadedBackendIsSkippedToo() throws Exception {
        Backend busy = backend().answer(reply(503, ""));
        Queue queue = queue("busy", busy.uri(), backend.uri());

        for (int i = 0; i < 12; i++) {
            handler.handle(queue, task(i, "busy", 1));
        }

        assertThat(busy.received()).hasSize(3);
        assertThat(backend.received()).hasSize(9);
    }

    @Test
    void aNotFoundDoesNotEjectTheBackend() throws Exception {
        Backend lost = backend().answer(reply(404, ""));
        Queue queue = queue("lost", lost.uri(), backend.uri());

        for (int i = 0; i < 12; i++) {
            handler.handle(queue, task(i, "lost", 1));
        }

        assertThat(lost.received()).hasSize(6);
    }

    @Test
    void changedBackendsTakeEffectOnTheNextTask() throws Exception {
        Backend replacement = backend();
        handler.handle(queue("moving", backend.uri()), task(1, "moving", 1));

        handler.handle(queue("moving", replacement.uri()), task(2, "moving", 1));

        assertThat(backend.received()).hasSize(1);
        assertThat(replacement.received()).hasSize(1);
    }

    @Test
    void connectionsAreKeptAliveAndReused() throws Exception {
        for (int i = 0; i < 20; i++) {
            handle();
        }

        List<Integer> ports = backend.received().stream().map(Backend.Received::remotePort).distinct().toList();
        assertThat(ports).hasSize(1);
    }

    @Test
    void anInterruptWhileWaitingForTheBackendEndsTheCallWithInterruptedException() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        backend.answerExchange(exchange -> {
            arrived.countDown();
            backend.hang();
        });
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Queue patient = queue("patient", Duration.ofSeconds(60), backend.uri());
        Thread worker = Thread.ofVirtual().start(() -> {
            try {
                handler.handle(patient, task(1, "patient", 1));
            } catch (Throwable t) {
                thrown.set(t);
            }
        });

        assertThat(arrived.await(5, TimeUnit.SECONDS)).isTrue();
        long start = System.nanoTime();
        worker.interrupt();
        worker.join(Duration.ofSeconds(5));

        assertThat(worker.isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    }

    @Test
    void anAlreadyInterruptedThreadDeliversNothing() throws Exception {
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            Thread.currentThread().interrupt();
            try {
                handle();
                thrown.complete(null);
            } catch (Throwable t) {
                thrown.complete(t);
            }
        });

        assertThat(thrown.get(5, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        assertThat(backend.received()).isEmpty();
    }

    @Test
    void afterCloseTasksAreRetriedNotLost() throws Exception {
        handle();
        handler.close();

        assertThat(handle()).isInstanceOf(Outcome.Retry.class);
    }

    private Outcome handle() throws InterruptedException {
        return handler.handle(queue("emails", backend.uri()), task(42, "emails", 1));
    }

    private Backend backend() {
        Backend started = Backend.start();
        backends.add(started);
        return started;
    }

    private static Queue queue(String name, URI... backends) {
        return queue(name, Duration.ofSeconds(5), backends);
    }

    private static Queue queue(String name, Duration timeout, URI... backends) {
        return new Queue(name, new HandlerSpec.Http(List.of(backends), "/hook", timeout), 10, Optional.empty(),
                         new Queue.RetryPolicy(5, Duration.ofSeconds(1), Duration.ofMinutes(5)), Duration.ofDays(7),
                         false);
    }

    private static Task task(long id, String queue, int attempts) {
        return new Task(id, queue, TaskState.RUNNING, PAYLOAD, 0, NOW, attempts, 5, null, null, null, NOW, NOW, null, null);
    }

    /** A JSON string literal of exactly {@code bytes} bytes. */
    private static String jsonString(int bytes) {
        return "\"" + "x".repeat(bytes - 2) + "\"";
    }

    /** Answers {@code status} and {@code body} with the given header name and value pairs. */
    private static Backend.Responder reply(int status, String body, String... headerPairs) {
        var headers = new LinkedHashMap<String, String>();
        for (int i = 0; i < headerPairs.length; i += 2) {
            headers.put(headerPairs[i], headerPairs[i + 1]);
        }
        return Backend.always(new Backend.Reply(status, body, headers));
    }
}
