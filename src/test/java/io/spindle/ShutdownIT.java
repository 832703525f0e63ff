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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.spindle.testing.ChildProcess;
import io.spindle.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service started as users start it ({@code java -jar}) and stopped with SIGTERM: it is ready
 * quickly, and its one shutdown hook closes every resource in the reverse order of creation (SPEC §8).
 */
class ShutdownIT {
    /** A guard against a start-up that hangs or crawls, with room for a shared machine under load (about 2 s when
     * quiet; bench/startup.sh measures it). */
    private static final Duration READY_WITHIN = Duration.ofSeconds(10);
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(10);
    private static final Pattern REGISTERED = Pattern.compile("lifecycle registered (\\S+)");
    private static final Pattern STEP = Pattern.compile("shutdown step (\\S+) ");
    private static final String LOG_MARKER = "[child] ";

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    @TempDir
    Path workDir;

    @Test
    void sigtermClosesEveryResourceInReverseOrderOfCreation() throws Exception {
        Path logging = verboseLogging();
        int port = ChildProcess.freePort();
        try (TestDatabase.Fresh db = TestDatabase.fresh();
             ChildProcess child = ChildProcess.launch(
                     workDir,
                     Map.of("DB_URL", db.jdbcUrl(), "DB_USERNAME", db.username(), "DB_PASSWORD", db.password(),
                            "SERVER_PORT", Integer.toString(port)),
                     List.of("-Djava.util.logging.config.file=" + logging))) {

            Duration ready = child.awaitReady(port, READY_WITHIN.plusSeconds(25)); // longer than required: report the real time
            System.out.println("ShutdownIT: ready " + ready.toMillis() + " ms after launch");
            assertThat(ready).as("start to ready; output:%n%s", child.output()).isLessThan(READY_WITHIN);
            assertThat(get(port, "/v1/queues/default").statusCode()).isEqualTo(200);

            long sigterm = System.nanoTime();
            child.terminate();
            int exit = child.awaitExit(EXIT_WITHIN);
            Duration stopped = Duration.ofNanos(System.nanoTime() - sigterm);
            System.out.println("ShutdownIT: exited with " + exit + " " + stopped.toMillis() + " ms after SIGTERM");
            String output = child.output();
            System.out.println(output);

            assertThat(stopped).isLessThan(EXIT_WITHIN);
            assertThat(exit).as("the JVM's exit code for SIGTERM").isIn(0, 143);
            List<String> registered = names(child.lines(), REGISTERED);
            List<String> closed = names(child.lines(), STEP);
            assertThat(registered).as("registrations in%n%s", output)
                    .contains("connection-pool", "http-server", "readiness")
                    .doesNotHaveDuplicates();
            assertThat(closed).as("shutdown steps in%n%s", output).isEqualTo(registered.reversed());
            assertThat(closed.getFirst()).as("readiness goes DOWN before anything stops").isEqualTo("readiness");
            assertThat(output).contains("shutdown requested", "shutdown complete");
            assertThat(child.lines()).as("the child logged with the test's logging configuration")
                    .anyMatch(line -> line.startsWith(LOG_MARKER));
            assertThat(output).as("Helidon's own shutdown hook must not run")
                    .doesNotContain("Shutdown requested by JVM shutting down");
            assertThat(output).doesNotContain("\tat ", "SEVERE");
        }
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                   .timeout(Duration.ofSeconds(5)).build(),
                           HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> names(List<String> lines, Pattern pattern) {
        List<String> names = new ArrayList<>();
        for (String line : lines) {
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /**
     * The packaged logging configuration with Helidon's main class at INFO, so that its shutdown hook, if it
     * ran, would say so.
     */
    private Path verboseLogging() throws IOException {
        String packaged;
        try (InputStream in = ShutdownIT.class.getResourceAsStream("/logging.properties")) {
            assertThat(in).as("logging.properties on the classpath").isNotNull();
            packaged = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Path file = workDir.resolve("logging-test.properties");
        // the later key wins; the marker proves that the child logs with this file
        Files.writeString(file, packaged + "\nio.helidon.Main.level=INFO\n"
                + "java.util.logging.SimpleFormatter.format=" + LOG_MARKER + "%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n\n");
        return file;
    }
}
