package io.spindle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import io.spindle.config.SettingsLoader;
import io.spindle.testing.ChildProcess;
import io.spindle.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §6 on the packaged service: protected mode refuses to start (exit 2, one line), and a run with an API key
 * in use, its refusals audited and its log verbose, never writes the key (nor its digest) anywhere in its output.
 */
class SecurityIT {
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(20);
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    @TempDir
    Path workDir;

    @Test
    void noKeyOnANonLoopbackAddressRefusesToStart() {
        try (ChildProcess child = ChildProcess.launch(workDir, Map.of("SERVER_HOST", "0.0.0.0"), List.of())) {
            int exit = child.awaitExit(EXIT_WITHIN);
            String output = child.output();
            assertThat(exit).as("exit code; output:%n%s", output).isEqualTo(2);
            assertThat(child.lines()).as(output).filteredOn(line -> line.contains("security.anonymous")).hasSize(1);
            assertThat(output).contains("0.0.0.0").doesNotContain("\tat ").doesNotContain("Exception");
            assertThat(Files.exists(workDir.resolve("data"))).as("no embedded database was started").isFalse();
        }
    }

    @Test
    void aKeyInUseNeverAppearsInTheLog() throws Exception {
        String key = "sk-" + HexFormat.of().formatHex(SecureRandom.getInstanceStrong().generateSeed(24));
        String digest = SettingsLoader.sha256Hex(key);
        int port = ChildProcess.freePort();
        try (TestDatabase.Fresh db = TestDatabase.fresh();
             ChildProcess child = ChildProcess.launch(
                     workDir,
                     Map.of("DB_URL", db.jdbcUrl(), "DB_USERNAME", db.username(), "DB_PASSWORD", db.password(),
                            "SERVER_PORT", Integer.toString(port),
                            "SECURITY_API_dash_KEYS_0_NAME", "ops",
                            "SECURITY_API_dash_KEYS_0_ROLES", "admin",
                            "SECURITY_API_dash_KEYS_0_KEY_dash_ENV", "SPINDLE_IT_KEY",
                            "SPINDLE_IT_KEY", key),
                     List.of("-Djava.util.logging.config.file=" + verboseLogging()))) {
            child.awaitReady(port, READY_WITHIN);

            assertThat(send(port, "GET", "/v1/queues/default", key, null).statusCode()).isEqualTo(200);
            assertThat(send(port, "PUT", "/v1/queues/it", key, "{\"handler\": {\"type\": \"log\"}}").statusCode()).isEqualTo(201);
            assertThat(send(port, "POST", "/v1/queues/it/tasks", key, "{\"payload\": {\"n\": 1}}").statusCode()).isEqualTo(201);
            // refusals, each audited: no key, a near miss, and the key sent in the wrong places
            assertThat(send(port, "GET", "/v1/queues/default", null, null).statusCode()).isEqualTo(401);
            assertThat(send(port, "GET", "/v1/queues/default", key + "x", null).statusCode()).isEqualTo(401);
            assertThat(send(port, "GET", "/v1/queues/default", key.substring(0, key.length() - 1), null).statusCode()).isEqualTo(401);
            assertThat(send(port, "GET", "/v1/nothing/" + key, null, null).statusCode()).isEqualTo(401);
            assertThat(send(port, "GET", "/v1/queues/default?key=" + key, null, null).statusCode()).isEqualTo(401);
            assertThat(send(port, "GET", "/v1/queues/" + key, key, null).statusCode()).isEqualTo(404);

            child.terminate();
            child.awaitExit(Duration.ofSeconds(15));
            String output = child.output();
            System.out.println(output);

            assertThat(output).as("the audit lines are there").contains(
                    "refused status=401 client=addr:127.0.0.1 route=\"GET /v1/queues/{name}\" reason=\"no bearer token\"",
                    "refused status=401 client=addr:127.0.0.1 route=\"GET /v1/queues/{name}\" reason=\"unknown key\"",
                    "refused status=401 client=addr:127.0.0.1 route=\"GET /v1/…\"");
            assertThat(output).as("the key").doesNotContain(key);
            assertThat(output).as("a part of the key").doesNotContain(key.substring(3, 19));
            assertThat(output).as("the key's digest").doesNotContain(digest).doesNotContain(digest.toUpperCase());
            assertThat(output).doesNotContain("SEVERE");
        }
    }

    private HttpResponse<String> send(int port, String method, String path, String key, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The packaged logging configuration with Spindle at FINEST, so that anything Spindle might say is said. */
    private Path verboseLogging() throws IOException {
        String packaged;
        try (InputStream in = SecurityIT.class.getResourceAsStream("/logging.properties")) {
            assertThat(in).as("logging.properties on the classpath").isNotNull();
            packaged = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path file = workDir.resolve("logging-verbose.properties");
        Files.writeString(file, packaged + "\nio.spindle.level=FINEST\nio.helidon.webserver.level=INFO\n"
                + "io.helidon.logging.jul.HelidonConsoleHandler.level=FINEST\n");
        return file;
    }
}
