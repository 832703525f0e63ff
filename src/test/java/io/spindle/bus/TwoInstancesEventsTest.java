package io.spindle.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.spindle.testing.Json;
import io.spindle.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two instances on one database behave as one bus: an event published on either reaches subscribers on both,
 * in order, large ones (over NOTIFY's 8,000 bytes) included; nothing is sent while no other instance wants the
 * topic.
 */
class TwoInstancesEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    static TestDatabase.Fresh db;
    static BusServer first;
    static BusServer second;

    @BeforeAll
    static void start() {
        db = TestDatabase.fresh();
        first = BusServer.start(db, BusServer.settings(Duration.ofSeconds(15)));
        second = BusServer.start(db, BusServer.settings(Duration.ofSeconds(15)));
    }

    @AfterAll
    static void stop() {
        second.close();
        first.close();
        db.close();
    }

    @Test
    void eventsPublishedOnOneInstanceReachSubscribersOnTheOtherInOrderLargeOnesIncluded() {
        try (SseClient onSecond = second.subscribe("/v1/topics/shared/events")) {
            awaitWatched(first, "shared");
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String text = i % 10 == 3 ? "é".repeat(6_000) + i : i % 10 == 7 ? "z".repeat(20_000) + i : "small-" + i;
                String data = "{\"i\":" + i + ",\"text\":\"" + text + "\"}";
                assertThat(first.post("/v1/topics/shared/events", "{\"type\": \"t" + i + "\", \"data\": " + data + "}")
                                   .statusCode()).isEqualTo(202);
                sent.add(data);
            }
            List<SseClient.Received> received = onSecond.next(60, WAIT);
            assertThat(received).extracting(SseClient.Received::data).containsExactlyElementsOf(sent);
            for (int i = 0; i < 60; i++) {
                assertThat(received.get(i).event()).isEqualTo("t" + i);
                if (i > 0) {
                    assertThat(Long.parseLong(received.get(i).id()))
                            .as("the receiving instance numbers the events itself")
                            .isEqualTo(Long.parseLong(received.get(i - 1).id()) + 1);
                }
            }
        }
    }

    @Test
    void bothWaysAndToSubscribersOnBothInstances() {
        try (SseClient onFirst = first.subscribe("/v1/users/bob/notifications");
             SseClient onSecond = second.subscribe("/v1/users/bob/notifications")) {
            awaitWatched(first, "users.bob");
            awaitWatched(second, "users.bob");
            assertThat(second.post("/v1/users/bob/notifications", "{\"message\": \"from second\"}").statusCode()).isEqualTo(202);
            assertThat(first.post("/v1/users/bob/notifications", "{\"message\": \"from first\"}").statusCode()).isEqualTo(202);
            for (SseClient client : List.of(onFirst, onSecond)) {
                assertThat(client.next(2, WAIT)).extracting(SseClient.Received::data).containsExactlyInAnyOrder(
                        "{\"message\":\"from second\"}", "{\"message\":\"from first\"}");
            }
        }
    }

    @Test
    void nothingIsForwardedForATopicNoOtherInstanceWants() {
        double before = forwarded(first);
        try (SseClient local = first.subscribe("/v1/topics/local-only/events")) {
            for (int i = 0; i < 100; i++) {
                first.post("/v1/topics/local-only/events", "{\"data\": " + i + "}");
            }
            assertThat(local.next(100, WAIT)).hasSize(100);
        }
        assertThat(forwarded(first)).isEqualTo(before);
        assertThat(Json.parse(second.get("/v1/topics").body()).path("items").toString()).doesNotContain("local-only");
    }

    @Test
    void manyEventsAtOnceArePackedIntoFewNotifications() {
        try (SseClient onSecond = second.subscribe("/v1/topics/burst/events")) {
            awaitWatched(first, "burst");
            double eventsBefore = forwarded(first);
            double payloadsBefore = first.meters().counter("spindle.bus.notifications.sent").count();
            for (int i = 0; i < 2000; i++) {
                first.bus().publish("burst", "tick", "{\"i\":" + i + "}");
            }
            // a burst of 2,000 at once may overrun the subscriber's queue of 256: lost ones are counted
            long received = 0;
            long dropped = 0;
            for (SseClient.Received event = onSecond.next(WAIT); ; event = onSecond.next(WAIT)) {
                if (event.event().equals("lagged")) {
                    dropped += Json.parse(event.data()).path("dropped").asLong();
                    continue;
                }
                received++;
                if (event.data().equals("{\"i\":1999}")) {
                    break;
                }
            }
            assertThat(received + dropped).isEqualTo(2000);
            // the sender counts after its commit, which may be after delivery
            await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> forwarded(first) - eventsBefore >= 2000);
            double events = forwarded(first) - eventsBefore;
            double payloads = first.meters().counter("spindle.bus.notifications.sent").count() - payloadsBefore;
            assertThat(events).isEqualTo(2000);
            assertThat(payloads).as("events per NOTIFY payload").isLessThan(events / 50);
        }
    }

    private static double forwarded(BusServer server) {
        return server.meters().counter("spindle.bus.events.forwarded").count();
    }

    /** Interest travels through the database: wait until the publishing instance knows of the subscriber. */
    private static void awaitWatched(BusServer server, String topic) {
        await("interest in " + topic + " reaches the other instance").atMost(WAIT).pollInterval(Duration.ofMillis(5))
                .until(() -> server.bus().wantedElsewhere(topic));
    }
}
