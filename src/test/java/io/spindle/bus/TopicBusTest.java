package io.spindle.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.spindle.config.Settings;
import io.spindle.error.SpindleException;
import io.spindle.testing.Json;
import org.junit.jupiter.api.Test;

/**
 * The bus on its own: ids and order, replay, lag, bounds and shutdown, with an injected clock.
 */
class TopicBusTest {
    private static final Duration SHORT = Duration.ofMillis(100);
    private final MutableClock clock = new MutableClock();

    private TopicBus bus(int capacity, int replay, int maxTopics, int maxSubscribers) {
        return new TopicBus(new Settings.Bus(capacity, 1L << 20, replay, 64L << 20, maxTopics, maxSubscribers, Duration.ofSeconds(15),
                                             Duration.ofMinutes(5), Duration.ZERO), BusMetrics.noop(), clock);
    }

    @Test
    void eachSubscriberGetsEveryEventInOrderWithConsecutiveIds() throws Exception {
        TopicBus bus = bus(256, 1000, 100, 100);
        try (Subscription a = bus.subscribe("orders", null); Subscription b = bus.subscribe("orders", null)) {
            List<Long> published = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                published.add(bus.publish("orders", "created", "{\"n\":" + i + "}").id());
            }
            assertThat(published).isSorted().doesNotHaveDuplicates();
            assertThat(published.getLast() - published.getFirst()).isEqualTo(99);
            for (Subscription s : List.of(a, b)) {
                for (int i = 0; i < 100; i++) {
                    Event event = s.next(SHORT);
                    assertThat(event.id()).isEqualTo(published.get(i));
                    assertThat(event.type()).isEqualTo("created");
                    assertThat(event.data()).isEqualTo("{\"n\":" + i + "}");
                }
                assertThat(s.next(Duration.ofMillis(1))).isNull();
            }
        }
        assertThat(bus.subscriptions()).isZero();
    }

    @Test
    void topicsNumberIndependentlyAndAnewTopicStartsAboveEveryIdIssued() {
        TopicBus bus = bus(16, 10, 100, 100);
        long a1 = bus.publish("a", "t", "1").id();
        long b1 = bus.publish("b", "t", "1").id();
        long a2 = bus.publish("a", "t", "2").id();
        assertThat(a2).isEqualTo(a1 + 1);
        assertThat(b1).isGreaterThan(a1);
        clock.advance(Duration.ofMinutes(6));
        bus.sweep();
        assertThat(bus.topics()).isEmpty();
        assertThat(bus.publish("a", "t", "3").id()).as("a forgotten topic comes back above its old ids").isGreaterThan(a2);
    }

    @Test
    void lastEventIdReplaysWhatTheRingStillHolds() throws Exception {
        TopicBus bus = bus(256, 10, 100, 100);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(bus.publish("t", "e", Integer.toString(i)).id());
        }
        try (Subscription s = bus.subscribe("t", Long.toString(ids.get(1)))) {
            assertThat(List.of(s.next(SHORT).id(), s.next(SHORT).id(), s.next(SHORT).id())).containsExactlyElementsOf(ids.subList(2, 5));
            long live = bus.publish("t", "e", "5").id();
            assertThat(s.next(SHORT).id()).isEqualTo(live);
        }
        try (Subscription s = bus.subscribe("t", Long.toString(ids.get(4) + 1))) {
            assertThat(s.next(SHORT)).as("the newest id: nothing to replay").isEqualTo(null);
        }
    }

    @Test
    void replayAfterEventsLeftTheRingStartsWithLagged() throws Exception {
        TopicBus bus = bus(256, 10, 100, 100);
        long first = bus.publish("t", "e", "0").id();
        for (int i = 1; i < 25; i++) {
            bus.publish("t", "e", Integer.toString(i));
        }
        try (Subscription s = bus.subscribe("t", Long.toString(first))) {
            Event lagged = s.next(SHORT);
            assertThat(lagged.type()).isEqualTo("lagged");
            assertThat(lagged.hasId()).isFalse();
            assertThat(lagged.data()).isEqualTo("{\"dropped\":14}");
            List<Event> replayed = new ArrayList<>();
            for (Event e = s.next(SHORT); e != null; e = s.next(Duration.ofMillis(1))) {
                replayed.add(e);
            }
            assertThat(replayed).extracting(Event::data).containsExactly(
                    "15", "16", "17", "18", "19", "20", "21", "22", "23", "24");
        }
    }

    @Test
    void anIdThisInstanceDidNotIssueGetsLaggedWithUnknownCountThenTheWholeRing() throws Exception {
        TopicBus bus = bus(256, 3, 100, 100);
        for (int i = 0; i < 5; i++) {
            bus.publish("t", "e", Integer.toString(i));
        }
        for (String foreign : List.of("1", "99999999999999999", "not-a-number")) {
            try (Subscription s = bus.subscribe("t", foreign)) {
                assertThat(s.next(SHORT).data()).isEqualTo("{\"dropped\":null}");
                assertThat(List.of(s.next(SHORT).data(), s.next(SHORT).data(), s.next(SHORT).data()))
                        .containsExactly("2", "3", "4");
            }
        }
    }

    @Test
    void aSubscriberThatNeverReadsLosesItsOldestEventsWithoutSlowingThePublisherOrOthers() throws Exception {
        TopicBus bus = bus(64, 100, 100, 100);
        Subscription slow = bus.subscribe("t", null);
        Subscription fast = bus.subscribe("t", null);
        int total = 5_000;
        List<String> fastGot = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                while (fastGot.size() < total) {
                    Event e = fast.next(Duration.ofSeconds(5));
                    if (e == null) {
                        break;
                    }
                    fastGot.add(e.type().equals("lagged") ? "lagged" : e.data());
                }
            } catch (InterruptedException ignored) {
                // ends the reader
            }
        });
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            bus.publish("t", "e", Integer.toString(i));
            if (i % 32 == 31) {
                // keep pace with the reading subscriber only: the other one never reads
                int published = i + 1;
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                        .until(() -> fastGot.size() >= published);
            }
        }
        Duration publishing = Duration.ofNanos(System.nanoTime() - start);
        reader.join(Duration.ofSeconds(10));
        assertThat(publishing).as("publishing never waits for the slow subscriber").isLessThan(Duration.ofSeconds(5));
        assertThat(fastGot).as("the reading subscriber got every event, in order").hasSize(total)
                .doesNotContain("lagged").first().isEqualTo("0");
        assertThat(fastGot).last().isEqualTo(Integer.toString(total - 1));

        Event lagged = slow.next(SHORT);
        assertThat(lagged.type()).isEqualTo("lagged");
        assertThat(lagged.data()).isEqualTo("{\"dropped\":" + (total - 64) + "}");
        List<String> rest = new ArrayList<>();
        for (Event e = slow.next(SHORT); e != null; e = slow.next(Duration.ofMillis(1))) {
            rest.add(e.data());
        }
        assertThat(rest).hasSize(64).first().isEqualTo(Integer.toString(total - 64));
        assertThat(rest).last().isEqualTo(Integer.toString(total - 1));
        assertThat(bus.topics().getFirst().dropped()).isEqualTo(total - 64);
        slow.close();
        fast.close();
    }

    @Test
    void endedSubscriptionsGetWhatIsQueuedThenShutdown() throws Exception {
        TopicBus bus = bus(16, 10, 100, 100);
        Subscription s = bus.subscribe("t", null);
        bus.publish("t", "e", "1");
        AtomicBoolean wokeUp = new AtomicBoolean();
        Subscription waiting = bus.subscribe("u", null);
        CountDownLatch woke = new CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                Event e = waiting.next(Duration.ofSeconds(30));
                wokeUp.set(e != null && e.type().equals("shutdown"));
            } catch (InterruptedException ignored) {
                // not expected
            }
            woke.countDown();
        });
        awaitBlocked(reader);
        bus.close();
        assertThat(woke.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(wokeUp).isTrue();
        assertThat(s.next(SHORT).data()).isEqualTo("1");
        assertThat(s.next(SHORT).type()).isEqualTo("shutdown");
        assertThat(s.next(SHORT)).isNull();
        assertThat(s.isOpen()).isFalse();
        assertThat(bus.subscriptions()).isZero();
        assertThatThrownBy(() -> bus.subscribe("t", null)).isInstanceOf(SpindleException.Unavailable.class);
        assertThat(bus.publish("t", "e", "after").id()).isZero();
    }

    @Test
    void drainToTakesWhatIsReadyWithLaggedFirstAndShutdownLast() {
        TopicBus bus = bus(4, 10, 100, 100);
        Subscription s = bus.subscribe("t", null);
        for (int i = 0; i < 6; i++) {
            bus.publish("t", "e", Integer.toString(i));
        }
        List<Event> ready = new ArrayList<>();
        assertThat(s.drainTo(ready, 100)).isEqualTo(5);
        assertThat(ready).extracting(Event::data).containsExactly("{\"dropped\":2}", "2", "3", "4", "5");
        bus.publish("t", "e", "6");
        s.end();
        ready.clear();
        assertThat(s.drainTo(ready, 100)).isEqualTo(2);
        assertThat(ready).extracting(Event::type).containsExactly("e", "shutdown");
        assertThat(s.isOpen()).isFalse();
        ready.clear();
        assertThat(s.drainTo(ready, 100)).isZero();
    }

    @Test
    void cancellingFromAnotherThreadWakesTheReaderWithNothingMore() throws Exception {
        TopicBus bus = bus(16, 10, 100, 100);
        Subscription s = bus.subscribe("t", null);
        CountDownLatch returned = new CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                if (s.next(Duration.ofSeconds(30)) == null && !s.isOpen()) {
                    returned.countDown();
                }
            } catch (InterruptedException ignored) {
                // fails the test below
            }
        });
        awaitBlocked(reader);
        s.cancel();
        assertThat(returned.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(bus.subscriptions()).isZero();
        reader.join();
    }

    @Test
    void allReplayRingsTogetherHoldAtMostTheirByteBudget() throws Exception {
        long budget = 1L << 20;
        TopicBus bus = new TopicBus(new Settings.Bus(256, 1L << 20, 1000, budget, 100, 100, Duration.ofSeconds(15),
                                                     Duration.ofMinutes(5), Duration.ZERO), BusMetrics.noop(), clock);
        String large = "\"" + "x".repeat(60_000) + "\"";
        for (int i = 0; i < 200; i++) {
            bus.publish("big-" + (i % 5), "e", large);
            assertThat(bus.replayBytes()).isLessThanOrEqualTo(budget + 2 * large.length() + 200);
        }
        // the newest event of each topic is always kept for replay
        for (int t = 0; t < 5; t++) {
            long newest = bus.topics().get(t).lastEventId();
            try (Subscription s = bus.subscribe("big-" + t, Long.toString(newest - 1))) {
                assertThat(s.next(SHORT).id()).isEqualTo(newest);
            }
        }
        clock.advance(Duration.ofMinutes(10));
        bus.sweep();
        assertThat(bus.replayBytes()).as("forgotten topics give their bytes back").isZero();
    }

    @Test
    void aSubscriberQueuesAtMostItsByteBoundOfLargeEvents() throws Exception {
        TopicBus bus = new TopicBus(new Settings.Bus(256, 256 * 1024, 10, 64L << 20, 100, 100, Duration.ofSeconds(15),
                                                     Duration.ofMinutes(5), Duration.ZERO), BusMetrics.noop(), clock);
        String large = "\"" + "y".repeat(30_000) + "\"";
        try (Subscription s = bus.subscribe("t", null)) {
            for (int i = 0; i < 20; i++) {
                bus.publish("t", "e", large);
            }
            Event lagged = s.next(SHORT);
            assertThat(lagged.type()).isEqualTo("lagged");
            long dropped = Json.parse(lagged.data()).path("dropped").asLong();
            int queued = 0;
            while (s.next(Duration.ofMillis(1)) != null) {
                queued++;
            }
            assertThat(queued).as("about 256 KiB of 60 KB events").isBetween(3, 5);
            assertThat(dropped + queued).isEqualTo(20);
            bus.publish("t", "e", "small");
            assertThat(s.next(SHORT).data()).as("the bound frees up as the reader takes").isEqualTo("small");
        }
    }

    @Test
    void closingASubscriptionDetachesItAtOnce() {
        TopicBus bus = bus(16, 10, 100, 100);
        Subscription s = bus.subscribe("t", null);
        assertThat(bus.topics().getFirst().subscribers()).isEqualTo(1);
        s.close();
        s.close();
        assertThat(bus.topics().getFirst().subscribers()).isZero();
        assertThat(bus.subscriptions()).isZero();
    }

    @Test
    void topicsWithoutSubscribersAreForgottenAfterTheTtlAndAtTheBound() {
        TopicBus bus = bus(16, 10, 10, 100);
        Subscription kept = bus.subscribe("kept", null);
        for (int i = 0; i < 9; i++) {
            bus.publish("idle-" + i, "e", "{}");
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(bus.topics()).hasSize(10);
        bus.publish("new", "e", "{}");
        assertThat(bus.topics()).as("the longest idle topic was forgotten to make room").hasSize(10)
                .extracting(TopicStats::name).doesNotContain("idle-0").contains("kept", "new");
        clock.advance(Duration.ofMinutes(10));
        bus.sweep();
        assertThat(bus.topics()).extracting(TopicStats::name).containsExactly("kept");
        kept.close();
    }

    @Test
    void whenEveryTopicHasSubscribersANewTopicIsRefused() {
        TopicBus bus = bus(16, 10, 2, 100);
        Subscription a = bus.subscribe("a", null);
        Subscription b = bus.subscribe("b", null);
        assertThatThrownBy(() -> bus.publish("c", "e", "{}")).isInstanceOf(SpindleException.Unavailable.class)
                .hasMessageContaining("most topics");
        assertThatThrownBy(() -> bus.subscribe("c", null)).isInstanceOf(SpindleException.Unavailable.class);
        assertThat(bus.subscriptions()).isEqualTo(2);
        a.close();
        assertThat(bus.publish("c", "e", "{}").id()).isPositive();
        b.close();
    }

    @Test
    void subscriptionsAreBounded() {
        TopicBus bus = bus(16, 10, 100, 2);
        Subscription a = bus.subscribe("a", null);
        Subscription b = bus.subscribe("b", null);
        assertThatThrownBy(() -> bus.subscribe("a", null)).isInstanceOf(SpindleException.Unavailable.class)
                .hasMessageContaining("event streams");
        a.close();
        bus.subscribe("a", null).close();
        b.close();
    }

    @Test
    void publishIfWatchedDoesNothingWhileNobodyWatches() throws Exception {
        TopicBus bus = bus(16, 10, 100, 100);
        AtomicLong built = new AtomicLong();
        assertThat(bus.publishIfWatched("tasks.q", "task.created", () -> {
            built.incrementAndGet();
            return "{}";
        })).isFalse();
        assertThat(built).hasValue(0);
        assertThat(bus.topics()).isEmpty();
        try (Subscription s = bus.subscribe("tasks.q", null)) {
            assertThat(bus.publishIfWatched("tasks.q", "task.created", () -> "{\"id\":\"1\"}")).isTrue();
            assertThat(s.next(SHORT).data()).isEqualTo("{\"id\":\"1\"}");
        }
        assertThat(bus.publishIfWatched("tasks.q", "task.started", () -> "{}"))
                .as("recorded for replay while the subscriber may reconnect").isTrue();
    }

    @Test
    void dataIsKeptOnOneLineAndNamesAreChecked() throws Exception {
        TopicBus bus = bus(16, 10, 100, 100);
        try (Subscription s = bus.subscribe("t", null)) {
            bus.publish("t", "e", "{\n  \"a\": 1\r\n}");
            assertThat(s.next(SHORT).data()).isEqualTo("{   \"a\": 1  }");
        }
        assertThatThrownBy(() -> bus.publish("bad topic", "e", "{}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bus.publish("t", "bad\ttype", "{}")).isInstanceOf(IllegalArgumentException.class);
    }

    /** A clock the test moves. */
    private static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Waits until {@code reader} blocks in its timed wait for the next event. */
    private static void awaitBlocked(Thread reader) {
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                .until(() -> reader.getState() == Thread.State.TIMED_WAITING);
    }
}
