package io.spindle.bus;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.BusWiring;
import io.spindle.Lifecycle;
import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.db.Migrations;
import io.spindle.db.PgListener;
import io.spindle.http.ConnectionBudget;
import io.spindle.http.ConnectionGuard;
import io.spindle.http.ConnectionMetrics;
import io.spindle.http.SpindleServer;
import io.spindle.observe.HttpMetricsFilter;
import io.spindle.testing.LocalHttp;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;

/**
 * The event side of Spindle on a real HTTP server and database, wired exactly as {@code Spindle.start} wires
 * it (through {@link BusWiring}), without the task engine. Several may share one database, as instances do.
 */
final class BusServer implements AutoCloseable {
    private static final Duration QUICK = Duration.ofSeconds(5);

    private final Lifecycle lifecycle;
    private final BusWiring events;
    private final WebServer server;
    private final String instance;
    private final MeterRegistry meters;
    private final LocalHttp http;

    private BusServer(Lifecycle lifecycle, BusWiring events, WebServer server, String instance, MeterRegistry meters) {
        this.lifecycle = lifecycle;
        this.events = events;
        this.server = server;
        this.instance = instance;
        this.meters = meters;
        this.http = new LocalHttp(server.port());
    }

    static BusServer start(TestDatabase.Fresh db, Settings.Bus bus) {
        return start(db, bus, new SimpleMeterRegistry());
    }

    /** With {@code Metrics.globalRegistry()} as meters, {@code /observe/metrics} shows the bus's series. */
    static BusServer start(TestDatabase.Fresh db, Settings.Bus bus, MeterRegistry meters) {
        return start(db, bus, meters, routing -> { });
    }

    /** With more routes, e.g. a page for a browser test on the same origin as the streams. */
    static BusServer start(TestDatabase.Fresh db, Settings.Bus bus, MeterRegistry meters,
                           java.util.function.Consumer<io.helidon.webserver.http.HttpRouting.Builder> more) {
        Settings settings = SettingsChange.of(TestServer.settings(db.jdbcUrl(), db)).bus(bus).build();
        Lifecycle lifecycle = new Lifecycle();
        try {
            String instance = "test-" + UUID.randomUUID().toString().substring(0, 8);
            Database database = lifecycle.register("connection-pool", QUICK, Database.open(settings.db(), db.jdbcUrl(), meters));
            Migrations.migrate(database.dataSource());
            PgListener listener = lifecycle.register("notification-listener", QUICK,
                    new PgListener(db.jdbcUrl(), db.username(), db.password(), Duration.ofMillis(200)));
            BusWiring events = BusWiring.start(settings.bus(), settings.shutdown().stepTimeout(), database, listener, instance, meters, lifecycle);
            listener.start();
            WebServer server = SpindleServer.create(
                    settings.server(),
                    ConnectionGuard.create(settings.connections(), ConnectionBudget.fixed(1000), new ConnectionMetrics(new SimpleMeterRegistry())),
                    settings.shutdown().grace(),
                    ObserveFeature.builder().addObserver(MetricsObserver.create()).build(),
                    new HttpMetricsFilter(Metrics.globalRegistry().unwrap(io.micrometer.core.instrument.MeterRegistry.class)),
                    List.of(),
                    routing -> {
                        routing.register("/v1/topics", events.topicRoutes())
                                .register("/v1/users", events.notificationRoutes());
                        more.accept(routing);
                    });
            server.start();
            lifecycle.register("http-server", settings.shutdown().grace().plusSeconds(5), server::stop);
            lifecycle.register("event-streams", QUICK, events.streams());
            return new BusServer(lifecycle, events, server, instance, meters);
        } catch (RuntimeException e) {
            lifecycle.close();
            throw e;
        }
    }

    static Settings.Bus settings(Duration keepAlive) {
        return new Settings.Bus(256, 1L << 20, 1000, 64L << 20, 10_000, 10_000, keepAlive, Duration.ofMinutes(5),
                                Duration.ofMillis(10));
    }

    int port() {
        return server.port();
    }

    TopicBus bus() {
        return events.bus();
    }

    BusWiring events() {
        return events;
    }

    String instance() {
        return instance;
    }

    MeterRegistry meters() {
        return meters;
    }

    URI uri(String path) {
        return http.uri(path);
    }

    SseClient subscribe(String path) {
        return SseClient.open(port(), path, null);
    }

    SseClient subscribe(String path, String lastEventId) {
        return SseClient.open(port(), path, lastEventId);
    }

    HttpResponse<String> get(String path) {
        return http.get(path);
    }

    HttpResponse<String> post(String path, String json) {
        return http.post(path, json);
    }

    /** Every answer is held to the OpenAPI document (see {@link LocalHttp#send}). */
    HttpResponse<String> send(HttpRequest.Builder request) {
        return http.send(request);
    }

    @Override
    public void close() {
        lifecycle.close();
    }
}
