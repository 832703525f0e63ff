package io.spindle;

import java.time.Duration;
import java.util.logging.Logger;

import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.db.EmbeddedDatabase;
import io.spindle.db.Migrations;
import io.spindle.http.QueueRoutes;
import io.spindle.http.SpindleServer;
import io.spindle.observe.DatabaseReadiness;
import io.spindle.observe.HttpMetricsFilter;
import io.spindle.observe.JvmMetrics;
import io.spindle.observe.ShutdownReadiness;
import io.spindle.task.QueueStore;

/**
 * Wires Spindle's parts in dependency order, registering each with the {@link Lifecycle} as it is
 * created, so that shutdown closes them in reverse.
 */
public final class Spindle {
    private static final Logger LOG = Logger.getLogger(Spindle.class.getName());

    private Spindle() {
    }

    /** A started service: where it listens and what it runs on. */
    public record Running(WebServer server, Database database) {
        public int port() {
            return server.port();
        }
    }

    public static Running start(Settings settings, Lifecycle lifecycle) {
        String jdbcUrl = settings.db().url().orElseGet(() -> lifecycle.register(
                "embedded-postgres", Duration.ofSeconds(30),
                EmbeddedDatabase.start(settings.db().embedded())).jdbcUrl());
        io.micrometer.core.instrument.MeterRegistry meters =
                Metrics.globalRegistry().unwrap(io.micrometer.core.instrument.MeterRegistry.class);
        JvmMetrics.bind(meters);
        Database database = lifecycle.register("connection-pool", Duration.ofSeconds(10),
                                               Database.open(settings.db(), jdbcUrl, meters));
        Migrations.migrate(database.dataSource());

        QueueStore queues = new QueueStore(database.client());
        ShutdownReadiness accepting = new ShutdownReadiness();
        ObserveFeature observe = ObserveFeature.builder()
                .addObserver(HealthObserver.builder()
                                     .details(true)
                                     .useSystemServices(false)
                                     .addCheck(new DatabaseReadiness(database.client(), settings.health().dbTimeout()))
                                     .addCheck(accepting)
                                     .build())
                .addObserver(MetricsObserver.create())
                .build();
        Duration grace = settings.shutdown().grace();
        WebServer server = SpindleServer.create(
                settings.server(), grace, observe, new HttpMetricsFilter(Metrics.globalRegistry()),
                routing -> routing.register("/v1/queues", new QueueRoutes(queues)));
        server.start();
        lifecycle.register("http-server", grace.plusSeconds(5), server::stop);
        lifecycle.register("readiness", Duration.ofSeconds(1), accepting);
        LOG.info(() -> "Spindle listening on http://" + settings.server().host() + ":" + server.port());
        return new Running(server, database);
    }
}
