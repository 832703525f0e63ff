package io.spindle.bus;

import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Topic bus meters. Topic names come from clients, so no series is labelled by topic except
 * {@code spindle_bus_topic_subscribers}, which covers only the {@value #TOP_TOPICS} topics with the most
 * subscribers; every other series has a fixed set of labels.
 */
public final class BusMetrics {
    /** How many topics get a subscriber series of their own. */
    public static final int TOP_TOPICS = 20;

    private final MeterRegistry registry;
    private final Counter publishedLocal;
    private final Counter publishedRemote;
    private final Counter droppedLag;
    private final Counter droppedForward;
    private final Counter droppedReceive;
    private final Counter replayComplete;
    private final Counter replayPartial;
    private final Counter replayUnknown;
    private final Counter replayedEvents;
    private final Counter forwarded;
    private final Counter received;
    private final Counter notifications;
    private final MultiGauge topTopics;

    public BusMetrics(MeterRegistry registry) {
        this.registry = registry;
        publishedLocal = published("local");
        publishedRemote = published("remote");
        droppedLag = dropped("lag");
        droppedForward = dropped("forward");
        droppedReceive = dropped("receive");
        replayComplete = replays("complete");
        replayPartial = replays("partial");
        replayUnknown = replays("unknown");
        replayedEvents = counter("spindle.bus.replay.events",
                "Events replayed from a topic's ring to subscribers that reconnected with Last-Event-ID");
        forwarded = counter("spindle.bus.events.forwarded", "Events sent to other instances through PostgreSQL NOTIFY");
        received = counter("spindle.bus.events.received", "Events received from other instances");
        notifications = counter("spindle.bus.notifications.sent",
                "NOTIFY payloads sent to other instances (each carries a batch of events)");
        topTopics = MultiGauge.builder("spindle.bus.topic.subscribers")
                .description("Subscribers on this instance of the " + TOP_TOPICS + " topics with the most")
                .register(registry);
    }

    /** Meters that go nowhere, for parts used without a registry. */
    public static BusMetrics noop() {
        return new BusMetrics(new SimpleMeterRegistry());
    }

    /** Gauges read at scrape time: subscriptions, topics and replay bytes held on this instance. */
    public void bind(Supplier<Number> subscribers, Supplier<Number> topics, Supplier<Number> replayBytes) {
        Gauge.builder("spindle.bus.replay.held", replayBytes).baseUnit("bytes")
                .description("Bytes held in the replay rings of all topics on this instance (estimated)").register(registry);
        Gauge.builder("spindle.bus.subscribers", subscribers)
                .description("SSE subscriptions open on this instance").register(registry);
        Gauge.builder("spindle.bus.topics", topics)
                .description("Topics held on this instance (with subscribers or a recent replay ring)").register(registry);
    }

    public void published(boolean local) {
        (local ? publishedLocal : publishedRemote).increment();
    }

    /** Events pushed out of full subscriber queues. */
    public void droppedForLag(int count) {
        droppedLag.increment(count);
    }

    /** Events not forwarded to other instances because the bridge's queue was full or the database failed. */
    public void droppedForwarding(int count) {
        droppedForward.increment(count);
    }

    /** Events from other instances not delivered because the receiving queue was full or the database failed. */
    public void droppedReceiving(int count) {
        droppedReceive.increment(count);
    }

    /** @param result {@code complete}, {@code partial} or {@code unknown} */
    public void replayed(String result, int events) {
        switch (result) {
            case "complete" -> replayComplete.increment();
            case "partial" -> replayPartial.increment();
            default -> replayUnknown.increment();
        }
        replayedEvents.increment(events);
    }

    public void forwarded(int events, int payloads) {
        forwarded.increment(events);
        notifications.increment(payloads);
    }

    public void received(int events) {
        received.increment(events);
    }

    /** Replaces the per-topic subscriber series by those of the busiest topics among {@code counts}. */
    public void topTopics(List<TopicCount> counts) {
        List<MultiGauge.Row<?>> rows = counts.stream()
                .filter(c -> c.subscribers() > 0)
                .sorted(Comparator.comparingInt(TopicCount::subscribers).reversed().thenComparing(TopicCount::topic))
                .limit(TOP_TOPICS)
                .<MultiGauge.Row<?>>map(c -> MultiGauge.Row.of(Tags.of("topic", c.topic()), c.subscribers()))
                .toList();
        topTopics.register(rows, true);
    }

    /** A topic and its subscriber count. */
    public record TopicCount(String topic, int subscribers) {
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    private Counter published(String origin) {
        return Counter.builder("spindle.bus.events.published")
                .description("Events published on this instance's topics, by origin (local or another instance)")
                .tag("origin", origin).register(registry);
    }

    private Counter dropped(String reason) {
        return Counter.builder("spindle.bus.events.dropped")
                .description("Events lost: pushed out of a lagging subscriber's queue (lag), or not forwarded"
                                     + " to (forward) or from (receive) other instances")
                .tag("reason", reason).register(registry);
    }

    private Counter replays(String result) {
        return Counter.builder("spindle.bus.replays")
                .description("Reconnections with Last-Event-ID, by whether every missed event was still held")
                .tag("result", result).register(registry);
    }
}
