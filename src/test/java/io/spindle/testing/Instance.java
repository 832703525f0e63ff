package io.spindle.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.config.Settings;

/**
 * One more Spindle on a database a test already has (several make a cluster), with a small HTTP client; closing it
 * shuts it down and leaves the database.
 */
public final class Instance implements AutoCloseable {
    private final Lifecycle lifecycle = new Lifecycle();
    private final Spindle.Running running;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Instance(Settings settings, Clock clock) {
        try {
            running = Spindle.start(settings, lifecycle, () -> { }, clock);
        } catch (RuntimeException e) {
            lifecycle.close();
            throw e;
        }
    }

    public static Instance start(Settings settings, Clock clock) {
        return new Instance(settings, clock);
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public HttpResponse<String> put(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                            .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + running.port() + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
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
    }
}
