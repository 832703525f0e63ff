package io.spindle.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Objects;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.testing.Json;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bus as {@code Spindle.start} wires it, two instances on one database: events and notifications cross
 * between them (a large one included), and closing an instance ends its streams with {@code shutdown} before
 * its server stops.
 */
class SpindleEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    static TestServer first;
    static Lifecycle secondLifecycle;
    static Spindle.Running second;

    @BeforeAll
    static void start() {
        first = TestServer.start();
        TestDatabase.Fresh db = first.database();
        secondLifecycle = new Lifecycle();
        second = Spindle.start(TestServer.settings(db.jdbcUrl(), db), secondLifecycle);
    }

    @AfterAll
    static void stop() {
        secondLifecycle.close();
        first.close();
    }

    @Test
    void aNotificationPublishedOnOneInstanceReachesASubscriberOnTheOther() {
        try (SseClient onSecond = SseClient.open(second.port(), "/v1/users/dora/notifications", null)) {
            assertThat(onSecond.status()).isEqualTo(200);
            String big = "b".repeat(12_000);
            // the subscription becomes known to the first instance within milliseconds; publish until it is
            SseClient.Received received = await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> {
                assertThat(first.post("/v1/users/dora/notifications", "{\"message\": \"probe\"}").statusCode()).isEqualTo(202);
                try {
                    return onSecond.next(Duration.ofMillis(100));
                } catch (AssertionError notYet) {
                    return null; // not forwarded yet
                }
            }, Objects::nonNull);
            onSecond.drain();
            assertThat(first.post("/v1/users/dora/notifications", "{\"message\": \"" + big + "\"}").statusCode()).isEqualTo(202);
            assertThat(first.post("/v1/topics/users.dora/events", "{\"type\": \"after\", \"data\": 1}").statusCode()).isEqualTo(202);
            SseClient.Received large = onSecond.next(WAIT);
            while (large.data().contains("probe")) {
                large = onSecond.next(WAIT);
            }
            assertThat(large.event()).isEqualTo("notification");
            assertThat(Json.parse(large.data()).path("message").asText()).isEqualTo(big);
            assertThat(onSecond.next(WAIT).event()).isEqualTo("after");
        }
    }

    @Test
    void closingAnInstanceEndsItsStreamsWithShutdown() {
        TestServer third = TestServer.start();
        try (SseClient client = SseClient.open(third.port(), "/v1/topics/closing/events", null)) {
            assertThat(client.status()).isEqualTo(200);
            third.post("/v1/topics/closing/events", "{\"data\": 1}");
            assertThat(client.next(WAIT).data()).isEqualTo("1");
            third.lifecycle().close();
            assertThat(client.next(WAIT).event()).isEqualTo("shutdown");
            assertThat(client.ended(WAIT)).isTrue();
        } finally {
            third.close();
        }
    }
}
