package io.spindle.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.UnaryOperator;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.config.Settings;

/**
 * A real Spindle on a free loopback port over a fresh database of its own, with a small HTTP client.
 * Closing it shuts the service down through its Lifecycle and drops the database.
 */
public final class TestServer implements AutoCloseable {
    private final TestDatabase.Fresh database;
    private final Lifecycle lifecycle;
    private final Spindle.Running running;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(TestDatabase.Fresh database, Lifecycle lifecycle, Spindle.Running running) {
        this.database = database;
        this.lifecycle = lifecycle;
        this.running = running;
    }

    public static TestServer start() {
        return start(UnaryOperator.identity());
    }

    /** Starts with the test defaults, adjusted by {@code adjust} (e.g. to point the pool through a proxy). */
    public static TestServer start(UnaryOperator<Settings> adjust) {
        TestDatabase.Fresh database = TestDatabase.fresh();
        Lifecycle lifecycle = new Lifecycle();
        try {
            Spindle.Running running = Spindle.start(adjust.apply(settings(database.jdbcUrl(), database)), lifecycle);
            return new TestServer(database, lifecycle, running);
        } catch (RuntimeException e) {
            lifecycle.close();
            database.close();
            throw e;
        }
    }

    /** The settings a test server runs with: loopback, any free port, a small pool, a short grace. */
    public static Settings settings(String jdbcUrl, TestDatabase.Fresh database) {
        return new Settings(
                new Settings.Server("127.0.0.1", 0, 1_048_576),
                Settings.Connections.DEFAULTS,
                new Settings.Db(Optional.of(jdbcUrl), database.username(), database.password(),
                                new Settings.Pool(5, 1, Duration.ofSeconds(3), Duration.ofSeconds(600),
                                                  Duration.ofSeconds(1800), Duration.ofSeconds(10)),
                                new Settings.Embedded(Path.of("target/unused-embedded"), 0)),
                new Settings.Shutdown(Duration.ofSeconds(2), Settings.Shutdown.STEP_TIMEOUT.defaultValue()),
                new Settings.Health(Duration.ofSeconds(1)),
                Settings.Dispatch.DEFAULTS, Settings.Enqueue.DEFAULTS, Settings.Security.DEFAULTS,
                Settings.ClientLimits.DEFAULTS, Settings.Bus.DEFAULTS, Settings.Listener.DEFAULTS, Settings.Observe.DEFAULTS,
                Settings.Delivery.DEFAULTS, Settings.Maintenance.DEFAULTS);
    }

    public TestDatabase.Fresh database() {
        return database;
    }

    public Lifecycle lifecycle() {
        return lifecycle;
    }

    public int port() {
        return running.port();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    public HttpResponse<String> put(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                            .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            HttpRequest built = request.timeout(Duration.ofSeconds(30)).build();
            HttpResponse<String> response = client.send(built, HttpResponse.BodyHandlers.ofString());
            ApiContract.check(built, response); // every answer the tests see is held to the OpenAPI document
            return response;
        } catch (IOException e) {
            throw new IllegalStateException("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        lifecycle.close();
        database.close();
    }
}
