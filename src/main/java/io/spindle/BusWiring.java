package io.spindle;

import java.time.Clock;
import java.time.Duration;

import io.helidon.webserver.http.HttpService;
import io.micrometer.core.instrument.MeterRegistry;
import io.spindle.bus.BusMetrics;
import io.spindle.bus.PgEventBridge;
import io.spindle.bus.TopicBus;
import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.db.PgListener;
import io.spindle.dispatch.PeriodicDuty;
import io.spindle.http.EventStreams;
import io.spindle.http.NotificationRoutes;
import io.spindle.http.TopicRoutes;

/**
 * Wires the topic bus: the bus itself, its bridge to other instances, its sweeper, the SSE streams and the
 * topic and notification routes. {@link #start} registers the bridge, the sweeper and the bus with the
 * lifecycle (so the bus closes before the bridge, which closes before the listener and the pool); the caller
 * registers {@link #streams()} after the HTTP server, so that streams end before the server stops.
 */
public final class BusWiring {
    private final TopicBus bus;
    private final EventStreams streams;
    private final TopicRoutes topicRoutes;
    private final NotificationRoutes notificationRoutes;

    private BusWiring(TopicBus bus, EventStreams streams) {
        this.bus = bus;
        this.streams = streams;
        this.topicRoutes = new TopicRoutes(bus, streams);
        this.notificationRoutes = new NotificationRoutes(bus, streams);
    }

    /**
     * Starts the bus and its bridge. Call after the pool and the listener exist and before the listener starts
     * (the bridge registers its channel with it). {@code stepTimeout} bounds each of the bus's shutdown steps.
     */
    public static BusWiring start(Settings.Bus settings, Duration stepTimeout, Database database, PgListener listener,
                                  String instance, MeterRegistry meters, Lifecycle lifecycle) {
        BusMetrics metrics = new BusMetrics(meters);
        TopicBus bus = new TopicBus(settings, metrics, Clock.systemUTC());
        PgEventBridge bridge = lifecycle.register("event-bridge", stepTimeout, new PgEventBridge(bus, database, instance, metrics));
        bridge.listenOn(listener);
        bridge.start();
        Duration sweep = clamp(settings.topicTtl().dividedBy(4), Duration.ofSeconds(1), Duration.ofSeconds(30));
        lifecycle.register("topic-sweeper", stepTimeout, PeriodicDuty.start("topic-sweeper", sweep, bus::sweep));
        lifecycle.register("topic-bus", stepTimeout, bus);
        return new BusWiring(bus, new EventStreams(bus, settings.keepAlive(), settings.flushInterval()));
    }

    /** The bus, for task lifecycle events and the {@code topic} task handler. */
    public TopicBus bus() {
        return bus;
    }

    /** The open SSE streams; register with the lifecycle after the HTTP server. */
    public EventStreams streams() {
        return streams;
    }

    /** {@code /v1/topics}. */
    public HttpService topicRoutes() {
        return topicRoutes;
    }

    /** {@code /v1/users}. */
    public HttpService notificationRoutes() {
        return notificationRoutes;
    }

    private static Duration clamp(Duration value, Duration min, Duration max) {
        return value.compareTo(min) < 0 ? min : value.compareTo(max) > 0 ? max : value;
    }
}
