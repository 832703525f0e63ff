package io.spindle.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.helidon.metrics.api.Metrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.spindle.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bus's series in the Prometheus exposition: subscribers (in total, and for the busiest topics only),
 * events published, dropped for lag, replays; and the exposition stays valid for {@code promtool}.
 */
class BusMetricsTest {
    static TestDatabase.Fresh db;
    static BusServer server;

    @BeforeAll
    static void start() {
        db = TestDatabase.fresh();
        server = BusServer.start(db, BusServer.settings(Duration.ofSeconds(15)),
                                 Metrics.globalRegistry().unwrap(MeterRegistry.class));
    }

    @AfterAll
    static void stop() {
        server.close();
        db.close();
    }

    @Test
    void busSeriesAreExposedAndValid() throws Exception {
        try (SseClient a = server.subscribe("/v1/topics/metered/events");
             SseClient b = server.subscribe("/v1/topics/metered/events")) {
            long id = server.bus().publish("metered", "e", "{}").id();
            a.next(Duration.ofSeconds(5));
            try (SseClient replaying = server.subscribe("/v1/topics/metered/events", Long.toString(id - 1))) {
                replaying.next(Duration.ofSeconds(5));
                server.bus().sweep();
                String text = server.get("/observe/metrics").body();
                assertThat(text).contains("# TYPE spindle_bus_subscribers gauge")
                        .contains("spindle_bus_topics ")
                        .containsPattern("spindle_bus_topic_subscribers\\{topic=\"metered\",?} 3\\.0")
                        .contains("spindle_bus_events_published_total{origin=\"local\"")
                        .contains("spindle_bus_events_dropped_total{reason=\"lag\"")
                        .containsPattern("spindle_bus_replays_total\\{result=\"complete\",?} [1-9]")
                        .contains("spindle_bus_replay_events_total")
                        .contains("spindle_bus_events_forwarded_total");
                promtool(text);
            }
        }
    }

    private static void promtool(String exposition) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        Assumptions.assumeTrue(Files.isExecutable(promtool), "promtool is not installed");
        Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = check.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String verdict = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.exitValue()).as("promtool check metrics said:%n%s", verdict).isZero();
    }
}
