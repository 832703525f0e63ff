package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.spindle.config.Settings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.observe.HttpMetricsFilter;
import io.spindle.observe.ShutdownReadiness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests run on virtual threads: the server is built by {@link SpindleServer} as Spindle builds it, with
 * probe routes that report the thread they run on.
 */
class VirtualThreadTest {
    private static final List<Thread> handlerThreads = new CopyOnWriteArrayList<>();
    private static WebServer server;
    private static final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    @BeforeAll
    static void start() {
        ObserveFeature observe = ObserveFeature.builder()
                .addObserver(HealthObserver.builder()
                                     .details(true)
                                     .useSystemServices(false)
                                     .addCheck(new ShutdownReadiness())
                                     .build())
                .addObserver(MetricsObserver.create())
                .build();
        server = SpindleServer.create(
                new Settings.Server("127.0.0.1", 0, 1_048_576),
                ConnectionGuard.create(Settings.Connections.DEFAULTS, ConnectionBudget.fixed(1000), new ConnectionMetrics(new SimpleMeterRegistry())),
                Duration.ofSeconds(1), observe,
                new HttpMetricsFilter(Metrics.globalRegistry().unwrap(io.micrometer.core.instrument.MeterRegistry.class)),
                List.of(),
                routing -> routing
                        .get("/probe", (req, res) -> {
                            handlerThreads.add(Thread.currentThread());
                            res.send(Boolean.toString(Thread.currentThread().isVirtual()));
                        })
                        .get("/probe/fails", (req, res) -> {
                            handlerThreads.add(Thread.currentThread());
                            throw new io.spindle.error.SpindleException.Conflict(
                                    "virtual=" + Thread.currentThread().isVirtual());
                        }));
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @Test
    void requestsAreHandledOnVirtualThreads() throws Exception {
        HttpResponse<String> response = get("/probe");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("true");
        assertThat(handlerThreads).isNotEmpty().allSatisfy(thread -> assertThat(thread.isVirtual()).isTrue());
    }

    @Test
    void concurrentRequestsGetAThreadEach() throws Exception {
        handlerThreads.clear();
        HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<HttpResponse<String>>>();
        for (int i = 0; i < 20; i++) {
            futures.add(fresh.sendAsync(HttpRequest.newBuilder(uri("/probe")).build(),
                                        HttpResponse.BodyHandlers.ofString()));
        }
        for (var future : futures) {
            assertThat(future.get().body()).isEqualTo("true");
        }
        assertThat(handlerThreads).hasSize(20).allSatisfy(thread -> assertThat(thread.isVirtual()).isTrue());
    }

    @Test
    void aFailingHandlerAlsoRunsOnAVirtualThreadAndBecomesAProblem() throws Exception {
        HttpResponse<String> response = get("/probe/fails");

        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(response.body()).contains("virtual=true");
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(),
                           HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
