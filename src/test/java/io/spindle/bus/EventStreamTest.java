package io.spindle.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.config.Settings;
import io.spindle.testing.Json;
import io.spindle.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SSE streams, publishing and topics over real HTTP (SPEC §3, §5): format, ids and order, Last-Event-ID replay,
 * lag, keep-alives, freeing subscriptions of clients that leave, validation.
 */
class EventStreamTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    static TestDatabase.Fresh db;
    static BusServer server;

    @BeforeAll
    static void start() {
        db = TestDatabase.fresh();
        server = BusServer.start(db, new Settings.Bus(256, 1L << 20, 1000, 64L << 20, 10_000, 10_000, Duration.ofMillis(200), Duration.ofMinutes(5),
                                                   Duration.ofMillis(5)));
    }

    @AfterAll
    static void stop() {
        server.close();
        db.close();
    }

    @Test
    void publishedEventsArriveInOrderWithTheirIdsAsServerSentEvents() {
        try (SseClient client = server.subscribe("/v1/topics/orders/events")) {
            assertThat(client.status()).isEqualTo(200);
            assertThat(client.headers()).contains("content-type: text/event-stream").contains("cache-control: no-cache");
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                var response = server.post("/v1/topics/orders/events",
                                           "{\"type\": \"order.created\", \"data\": {\"n\": " + i + ", \"s\": \"x\\ny\"}}");
                assertThat(response.statusCode()).isEqualTo(202);
                JsonNode body = Json.parse(response.body());
                assertThat(body.path("topic").asText()).isEqualTo("orders");
                ids.add(body.path("id").asText());
            }
            List<SseClient.Received> received = client.next(20, WAIT);
            assertThat(received).extracting(SseClient.Received::id).containsExactlyElementsOf(ids);
            assertThat(received).extracting(SseClient.Received::event).containsOnly("order.created");
            assertThat(received.get(3).data()).isEqualTo("{\"n\":3,\"s\":\"x\\ny\"}");
            for (int i = 1; i < ids.size(); i++) {
                assertThat(Long.parseLong(ids.get(i))).isEqualTo(Long.parseLong(ids.get(i - 1)) + 1);
            }
        }
    }

    @Test
    void typeDefaultsToMessageAndDataToNull() {
        try (SseClient client = server.subscribe("/v1/topics/defaults/events")) {
            assertThat(server.post("/v1/topics/defaults/events", "{}").statusCode()).isEqualTo(202);
            assertThat(server.post("/v1/topics/defaults/events", "{\"data\": [1, \"two\", {\"three\": 3.5}]}").statusCode())
                    .isEqualTo(202);
            SseClient.Received first = client.next(WAIT);
            assertThat(first.event()).isEqualTo("message");
            assertThat(first.data()).isEqualTo("null");
            assertThat(client.next(WAIT).data()).isEqualTo("[1,\"two\",{\"three\":3.5}]");
        }
    }

    @Test
    void aReconnectWithLastEventIdGetsTheMissedEventsThenLiveOnes() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(Json.parse(server.post("/v1/topics/replayed/events", "{\"data\": " + i + "}").body()).path("id").asText());
        }
        try (SseClient client = server.subscribe("/v1/topics/replayed/events", ids.get(1))) {
            assertThat(client.next(3, WAIT)).extracting(SseClient.Received::data).containsExactly("2", "3", "4");
            server.post("/v1/topics/replayed/events", "{\"data\": 5}");
            SseClient.Received live = client.next(WAIT);
            assertThat(live.data()).isEqualTo("5");
            assertThat(Long.parseLong(live.id())).isEqualTo(Long.parseLong(ids.get(4)) + 1);
        }
        try (SseClient client = server.subscribe("/v1/topics/replayed/events", "12")) {
            SseClient.Received lagged = client.next(WAIT);
            assertThat(lagged.event()).isEqualTo("lagged");
            assertThat(lagged.id()).isNull();
            assertThat(lagged.data()).isEqualTo("{\"dropped\":null}");
            assertThat(client.next(6, WAIT)).extracting(SseClient.Received::data).containsExactly("0", "1", "2", "3", "4", "5");
        }
    }

    @Test
    void aClientThatNeverReadsGetsLaggedAndSlowsNeitherThePublisherNorOtherSubscribers() {
        String data = "\"" + "x".repeat(2000) + "\"";
        int total = 3000;
        SseClient slow = SseClient.open(server.port(), "/v1/topics/lagging/events", null, false, 4096);
        try (SseClient fast = server.subscribe("/v1/topics/lagging/events")) {
            assertThat(slow.status()).isEqualTo(200);
            long start = System.nanoTime();
            for (int i = 0; i < total; i++) {
                assertThat(server.post("/v1/topics/lagging/events", "{\"data\": " + data + "}").statusCode()).isEqualTo(202);
            }
            Duration publishing = Duration.ofNanos(System.nanoTime() - start);
            assertThat(fast.next(total, WAIT)).as("the reading subscriber gets every event")
                    .extracting(SseClient.Received::event).containsOnly("message");
            assertThat(publishing).as("%d publishes", total).isLessThan(Duration.ofSeconds(20));

            slow.startReading();
            long received = 0;
            long dropped = 0;
            String lastId = null;
            while (lastId == null || Long.parseLong(lastId) < Long.parseLong(lastEventId("lagging"))) {
                SseClient.Received event = slow.next(WAIT);
                if (event.event().equals("lagged")) {
                    dropped += Json.parse(event.data()).path("dropped").asLong();
                } else {
                    received++;
                    lastId = event.id();
                }
            }
            assertThat(dropped).as("the slow subscriber was told it lagged").isPositive();
            assertThat(received + dropped).as("every event was either received or counted as dropped").isEqualTo(total);
            assertThat(topic("lagging").path("dropped").asLong()).isEqualTo(dropped);
        } finally {
            slow.close();
        }
    }

    @Test
    void idleStreamsGetKeepAliveComments() throws Exception {
        try (SseClient client = server.subscribe("/v1/topics/quiet/events")) {
            await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(client.comments())
                    .as("the subscribed comment, then one every 200 ms").isGreaterThanOrEqualTo(4));
        }
    }

    @Test
    void aThousandSubscribeAndDisconnectCyclesLeaveNoSubscriptionOrThreadBehind() throws Exception {
        // keep-alives a minute apart: only noticing the closed connections themselves can free the subscriptions
        TestDatabase.Fresh other = TestDatabase.fresh();
        try (BusServer quiet = BusServer.start(other, BusServer.settings(Duration.ofMinutes(1)))) {
            SseClient warmUp = quiet.subscribe("/v1/topics/churn-0/events");
            warmUp.close();
            awaitNoSubscription(quiet);
            int threadsBefore = Threads.count("");
            for (int i = 0; i < 1000; i++) {
                SseClient client = SseClient.open(quiet.port(), "/v1/topics/churn-" + (i % 10) + "/events", null, false, 0);
                assertThat(client.status()).isEqualTo(200);
                client.close();
            }
            awaitNoSubscription(quiet);
            assertThat(quiet.events().streams().open()).isZero();
            await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).untilAsserted(
                    () -> assertThat(Threads.count("io.spindle.http.EventStream") + Threads.count("io.spindle.http.DisconnectWatch"))
                            .as("threads streaming or watching (an idle kept-alive connection has guard frames only)")
                            .isZero());
            assertThat(Threads.count("")).as("live threads, virtual included").isLessThanOrEqualTo(threadsBefore + 5);
            for (JsonNode item : Json.parse(quiet.get("/v1/topics").body()).path("items")) {
                assertThat(item.path("subscribers").asInt()).as(item.toString()).isZero();
            }
        } finally {
            other.close();
        }
    }

    /**
     * Keep-alives a minute apart, so no write would notice the client leaving: only the disconnect watch does
     * (Helidon 4.5 tells a handler nothing when its client closes; see {@code DisconnectWatch}).
     */
    @Test
    void aClientThatClosesItsConnectionIsUnsubscribedAtOnce() throws Exception {
        TestDatabase.Fresh other = TestDatabase.fresh();
        try (BusServer quiet = BusServer.start(other, BusServer.settings(Duration.ofMinutes(1)))) {
            SseClient client = quiet.subscribe("/v1/topics/leaving/events");
            assertThat(quiet.bus().subscriptions()).isEqualTo(1);
            long closed = System.nanoTime();
            client.close();
            awaitNoSubscription(quiet);
            assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(Duration.ofSeconds(1));
        } finally {
            other.close();
        }
    }

    private static void awaitNoSubscription(BusServer server) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).untilAsserted(() -> {
            assertThat(server.bus().subscriptions()).isZero();
            assertThat(server.events().streams().open()).isZero();
        });
    }

    @Test
    void notificationsAreTheEventsOfTheUsersTopic() {
        try (SseClient client = server.subscribe("/v1/users/alice/notifications");
             SseClient topic = server.subscribe("/v1/topics/users.alice/events")) {
            var response = server.post("/v1/users/alice/notifications", "{\"message\": \"Your report is ready\"}");
            assertThat(response.statusCode()).isEqualTo(202);
            assertThat(Json.parse(response.body()).path("topic").asText()).isEqualTo("users.alice");
            for (SseClient c : List.of(client, topic)) {
                SseClient.Received event = c.next(WAIT);
                assertThat(event.event()).isEqualTo("notification");
                assertThat(event.data()).isEqualTo("{\"message\":\"Your report is ready\"}");
                assertThat(event.id()).isEqualTo(Json.parse(response.body()).path("id").asText());
            }
        }
    }

    @Test
    void topicsListSubscribersPublishedAndDropped() {
        try (SseClient a = server.subscribe("/v1/topics/listed/events"); SseClient b = server.subscribe("/v1/topics/listed/events")) {
            server.post("/v1/topics/listed/events", "{}");
            server.post("/v1/topics/listed/events", "{}");
            a.next(2, WAIT);
            JsonNode listed = topic("listed");
            assertThat(listed.path("subscribers").asInt()).isEqualTo(2);
            assertThat(listed.path("published").asLong()).isEqualTo(2);
            assertThat(listed.path("dropped").asLong()).isZero();
            assertThat(listed.path("lastEventId").asText()).isNotEmpty();
        }
    }

    @Test
    void badRequestsGetProblems() {
        assertProblem(server.post("/v1/topics/tasks.emails/events", "{}"), 403);
        assertProblem(server.post("/v1/topics/a%20b/events", "{}"), 400);
        assertProblem(server.post("/v1/topics/" + "t".repeat(129) + "/events", "{}"), 400);
        assertProblem(server.post("/v1/topics/ok/events", "{\"type\": \"lagged\"}"), 400);
        assertProblem(server.post("/v1/topics/ok/events", "{\"type\": \"bad type\"}"), 400);
        assertProblem(server.post("/v1/topics/ok/events", "{\"type\": 5}"), 400);
        assertProblem(server.post("/v1/topics/ok/events", "{\"typo\": \"x\"}"), 400);
        assertProblem(server.post("/v1/topics/ok/events", "[1]"), 400);
        assertProblem(server.post("/v1/topics/ok/events", "{\"data\": \"" + "x".repeat(65_536) + "\"}"), 413);
        assertThat(server.post("/v1/topics/ok/events", "{\"data\": \"" + "x".repeat(65_000) + "\"}").statusCode()).isEqualTo(202);
        assertProblem(server.send(HttpRequest.newBuilder(server.uri("/v1/topics/ok/events"))
                                          .PUT(HttpRequest.BodyPublishers.ofString("{}"))), 405);
        assertProblem(server.post("/v1/users/a.b/notifications", "{\"message\": \"x\"}"), 400);
        assertProblem(server.post("/v1/users/alice/notifications", "{}"), 400);
        assertProblem(server.post("/v1/users/alice/notifications", "{\"message\": 1}"), 400);
        assertProblem(server.get("/v1/users/a.b/notifications"), 400);
        try (SseClient refused = server.subscribe("/v1/topics/bad!/events")) {
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.headers()).contains("application/problem+json");
        }
        try (SseClient tasks = server.subscribe("/v1/topics/tasks.emails/events")) {
            assertThat(tasks.status()).as("task topics can be subscribed to").isEqualTo(200);
        }
    }

    @Test
    void closingTheServiceEndsEveryStreamWithAShutdownEventEvenWithAClientThatReadsNothing() {
        shutdownEndsStreams();
    }

    private void shutdownEndsStreams() {
        TestDatabase.Fresh other = TestDatabase.fresh();
        BusServer closing = BusServer.start(other, BusServer.settings(Duration.ofSeconds(15)));
        try (SseClient reading = closing.subscribe("/v1/topics/t/events");
             SseClient stuck = SseClient.open(closing.port(), "/v1/topics/t/events", null, false, 4096)) {
            String big = "{\"data\": \"" + "y".repeat(60_000) + "\"}";
            String lastId = null;
            for (int i = 0; i < 100; i++) {
                lastId = Json.parse(closing.post("/v1/topics/t/events", big).body()).path("id").asText();
            }
            // the reading client may lag (large events) and get `lagged` notices: read until the newest event,
            // so that nothing is left queued for it when shutdown begins
            SseClient.Received seen;
            do {
                seen = reading.next(WAIT);
            } while (!lastId.equals(seen.id()));
            long start = System.nanoTime();
            closing.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            SseClient.Received last = reading.next(WAIT);
            assertThat(last.event()).isEqualTo("shutdown");
            assertThat(reading.ended(WAIT)).isTrue();
            assertThat(took).as("shutdown does not wait on a client that reads nothing").isLessThan(Duration.ofSeconds(8));
        } finally {
            closing.close();
            other.close();
        }
    }

    private static String lastEventId(String name) {
        return topic(name).path("lastEventId").asText();
    }

    private static JsonNode topic(String name) {
        for (JsonNode item : Json.parse(server.get("/v1/topics").body()).path("items")) {
            if (item.path("name").asText().equals(name)) {
                return item;
            }
        }
        throw new AssertionError("no topic " + name + " in " + server.get("/v1/topics").body());
    }

    private static void assertProblem(java.net.http.HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(Json.parse(response.body()).path("status").asInt()).isEqualTo(status);
        assertThat(Set.of(400, 403, 405, 413)).contains(status);
    }
}
