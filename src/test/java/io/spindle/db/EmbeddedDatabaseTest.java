package io.spindle.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.config.Settings;
import io.spindle.testing.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With no {@code db.url}, Spindle runs its own PostgreSQL whose data outlives a restart (SPEC §1).
 */
class EmbeddedDatabaseTest {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void startsAServerOnTheDataDirAndStopsIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("postgres");
        String url;
        try (EmbeddedDatabase db = EmbeddedDatabase.start(new Settings.Embedded(data, 0))) {
            url = db.jdbcUrl();
            assertThat(url).startsWith("jdbc:postgresql:");
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
                 ResultSet rows = st.executeQuery("SELECT 1")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getInt(1)).isEqualTo(1);
            }
            assertThat(data.resolve("PG_VERSION")).exists();
        }
        assertThatThrownBy(() -> DriverManager.getConnection(url).close())
                .as("the server is stopped by close()")
                .isInstanceOf(SQLException.class);
    }

    @Test
    void spindleWithoutDbUrlRunsOnTheEmbeddedDatabaseAndKeepsItsDataAcrossRestarts(@TempDir Path dir) throws Exception {
        Settings settings = embeddedSettings(dir.resolve("data/postgres"));
        List<String> log = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(EmbeddedDatabase.class.getName());
        Handler capture = capture(log);
        logger.addHandler(capture);

        Lifecycle first = new Lifecycle();
        try {
            Spindle.Running running = Spindle.start(settings, first);
            var queue = send(running, "GET", "/v1/queues/default", null);
            assertThat(queue.statusCode()).isEqualTo(200);
            assertThat(Json.parse(queue.body()).path("handler").path("type").asText()).isEqualTo("log");
            var created = send(running, "PUT", "/v1/queues/survivor", "{\"handler\": {\"type\": \"log\"}, \"maxConcurrent\": 3}");
            assertThat(created.statusCode()).isEqualTo(201);
        } finally {
            first.close();
            logger.removeHandler(capture);
        }
        assertThat(log).anyMatch(line -> line.contains("embedded PostgreSQL") && line.contains(dir.toString()));

        Lifecycle second = new Lifecycle();
        try {
            Spindle.Running running = Spindle.start(settings, second);
            var queue = send(running, "GET", "/v1/queues/survivor", null);
            assertThat(queue.statusCode()).as("a queue created in the first run").isEqualTo(200);
            assertThat(Json.parse(queue.body()).path("maxConcurrent").asInt()).isEqualTo(3);
            assertThat(send(running, "GET", "/v1/queues/default", null).statusCode()).isEqualTo(200);
        } finally {
            second.close();
        }
    }

    private HttpResponse<String> send(Spindle.Running running, String method, String path, String json) throws Exception {
        var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.port() + path))
                .timeout(Duration.ofSeconds(10));
        if (json == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Settings embeddedSettings(Path dataDir) {
        return new Settings(
                new Settings.Server("127.0.0.1", 0, 1_048_576),
                Settings.Connections.DEFAULTS,
                new Settings.Db(Optional.empty(), "postgres", "",
                                new Settings.Pool(5, 1, Duration.ofSeconds(3), Duration.ofSeconds(600),
                                                  Duration.ofSeconds(1800), Duration.ofSeconds(10)),
                                new Settings.Embedded(dataDir, 0)),
                new Settings.Shutdown(Duration.ofSeconds(2), Settings.Shutdown.STEP_TIMEOUT.defaultValue()),
                new Settings.Health(Duration.ofSeconds(1)),
                Settings.Dispatch.DEFAULTS, Settings.Enqueue.DEFAULTS, Settings.Security.DEFAULTS,
                Settings.ClientLimits.DEFAULTS, Settings.Bus.DEFAULTS, Settings.Listener.DEFAULTS, Settings.Observe.DEFAULTS,
                Settings.Delivery.DEFAULTS, Settings.Maintenance.DEFAULTS, Settings.Schedules.DEFAULTS);
    }

    private static Handler capture(List<String> lines) {
        return new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }
}
