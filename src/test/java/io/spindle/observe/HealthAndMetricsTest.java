package io.spindle.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.spindle.testing.Exposition;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Health, readiness and Prometheus metrics of a running Spindle (SPEC §8).
 */
class HealthAndMetricsTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void livenessIsUp() {
        var response = server.get("/observe/health/live");
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void readinessIsUpWithDetailsOfTheDatabaseAndAccepting() {
        var response = server.get("/observe/health/ready");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        JsonNode health = Json.parse(response.body());
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("checks").isArray()).isTrue();
        assertThat(health.path("checks").findValuesAsText("name")).contains("database", "accepting", "listener");
        health.path("checks").forEach(check -> assertThat(check.path("status").asText()).isEqualTo("UP"));
    }

    @Test
    void overallHealthIsUpWithDetails() {
        var response = server.get("/observe/health");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode health = Json.parse(response.body());
        assertThat(health.path("status").asText()).isEqualTo("UP");
        assertThat(health.path("checks").findValuesAsText("name")).contains("database", "accepting", "listener");
    }

    @Test
    void metricsArePrometheusTextWithPoolJvmAndHttpSeries() {
        HttpResponse<String> response = server.get("/observe/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain"));
        String text = response.body();
        assertThat(text).contains("# TYPE ", "# HELP ");
        for (String series : new String[] {
                "hikaricp_connections_active", "hikaricp_connections_idle", "hikaricp_connections_pending",
                "hikaricp_connections_max", "jvm_memory_used_bytes", "jvm_threads_live_threads"}) {
            assertThat(Exposition.first(text, series)).as("a sample of %s in%n%s", series, text).isPresent();
        }
        assertThat(Exposition.first(text, "hikaricp_connections_max")).hasValueSatisfying(
                max -> assertThat(max).as("the test pool's max-size").isEqualTo(5.0));
        assertThat(Exposition.first(text, "jvm_threads_live_threads")).hasValueSatisfying(
                live -> assertThat(live).isPositive());
    }

    @Test
    void httpResponsesAreCountedByStatus() {
        double before = Exposition.sum(server.get("/observe/metrics").body(), "spindle_http_requests_total", "status", "404");

        for (int i = 0; i < 3; i++) {
            assertThat(server.get("/v1/queues/no-such-queue-" + i).statusCode()).isEqualTo(404);
        }
        assertThat(server.get("/no/such/route").statusCode()).isEqualTo(404);

        double after = Exposition.sum(server.get("/observe/metrics").body(), "spindle_http_requests_total", "status", "404");
        assertThat(after - before).isEqualTo(4.0);
    }

    @Test
    void anUnparseableAcceptHeaderIsNeverAServerError() {
        for (String path : List.of("/observe/metrics", "/observe/health", "/observe/health/ready", "/v1/queues")) {
            for (String accept : List.of(";;;", "text/plain; q=\"", "application/")) {
                var response = server.send(HttpRequest.newBuilder(server.uri(path)).header("Accept", accept).GET());
                assertThat(response.statusCode()).as("GET %s with Accept '%s': %s", path, accept, response.body())
                        .isLessThan(500);
            }
        }
    }

    @Test
    void metricsPassPromtoolCheck() throws Exception {
        Optional<Path> promtool = promtool();
        Assumptions.assumeTrue(promtool.isPresent(), "promtool is not installed");
        server.get("/v1/queues/promtool-404"); // make sure the HTTP counter has a series
        String text = server.get("/observe/metrics").body();

        Process check = new ProcessBuilder(promtool.get().toString(), "check", "metrics")
                .redirectErrorStream(true)
                .start();
        try (OutputStream in = check.getOutputStream()) {
            in.write(text.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String verdict = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.exitValue()).as("promtool check metrics said:%n%s", verdict).isZero();
    }

    @Test
    void shutdownReadinessIsUpUntilClosedThenDownForGood() {
        ShutdownReadiness readiness = new ShutdownReadiness();
        assertThat(readiness.type()).isEqualTo(HealthCheckType.READINESS);
        assertThat(readiness.name()).isEqualTo("accepting");
        assertThat(readiness.call().status()).isEqualTo(HealthCheckResponse.Status.UP);

        readiness.close();

        HealthCheckResponse down = readiness.call();
        assertThat(down.status()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(down.details()).containsKey("state");
        readiness.close();
        assertThat(readiness.call().status()).isEqualTo(HealthCheckResponse.Status.DOWN);
    }

    private static Optional<Path> promtool() {
        Path installed = Path.of("/usr/bin/promtool");
        if (Files.isExecutable(installed)) {
            return Optional.of(installed);
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        return Stream.of(path.split(File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, "promtool"))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
