package io.spindle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.spindle.config.Settings;
import io.spindle.db.EmbeddedDatabase;
import io.spindle.testing.ChildProcess;
import io.spindle.testing.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service on its embedded PostgreSQL, stopped with a task running: by SIGTERM, and by SIGINT to
 * its whole process group as Ctrl-C in a terminal sends it. Only the Lifecycle stops the database, as its last
 * step, so the running task is handed back to {@code pending} with its attempt uncounted, and no connection is
 * terminated by the server before the pool is closed.
 */
class EmbeddedShutdownIT {
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(30);
    private static final String TERMINATED = "terminating connection due to administrator command";
    private static final String POOL_CLOSED = "shutdown step connection-pool ";

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    @TempDir
    Path workDir;

    @Test
    void sigtermHandsTheRunningTaskBackAndStopsTheDatabaseLast() throws Exception {
        stopWithARunningTask(ChildProcess::terminate);
    }

    @Test
    void ctrlCToTheProcessGroupHandsTheRunningTaskBackAndStopsTheDatabaseLast() throws Exception {
        stopWithARunningTask(ChildProcess::interruptGroup);
    }

    private void stopWithARunningTask(Consumer<ChildProcess> signal) throws Exception {
        Path data = workDir.resolve("data/postgres");
        int port = ChildProcess.freePort();
        String base = "http://127.0.0.1:" + port;
        try (Backend slow = Backend.start().answer(Backend.after(Duration.ofSeconds(60), Backend.Reply.OK));
             ChildProcess child = ChildProcess.launchAsGroupLeader(
                     workDir,
                     Map.of("SERVER_PORT", Integer.toString(port), "SHUTDOWN_GRACE", "PT1S"),
                     List.of("-Djava.util.logging.config.file=" + postgresLogging()))) {
            child.awaitReady(port, Duration.ofSeconds(90));
            long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).getFirst().strip());
            assertThat(processGroup(postmaster)).as("the postmaster is outside Spindle's process group")
                    .isNotEqualTo(processGroup(child.process().pid()));
            assertThat(send("PUT", base + "/v1/queues/slow", """
                    {"handler": {"type": "http", "backends": ["%s"]}, "maxConcurrent": 1}""".formatted(slow.uri()))
                               .statusCode()).isEqualTo(201);
            assertThat(send("POST", base + "/v1/queues/slow/tasks", "{\"payload\": 1}").statusCode()).isEqualTo(201);
            slow.await(1, Duration.ofSeconds(20)); // the task is running: its backend holds the request

            signal.accept(child);
            int exit = child.awaitExit(EXIT_WITHIN);
            String output = child.output();
            System.out.println(output);

            assertThat(exit).as("exit code; output:%n%s", output).isIn(0, 130, 143);
            assertThat(output).as("output").contains("shutdown step embedded-postgres done", "shutdown complete");
            List<String> lines = child.lines();
            int poolClosed = indexOf(lines, POOL_CLOSED);
            assertThat(poolClosed).as("the pool's step in%n%s", output).isNotNegative();
            assertThat(lines.subList(0, poolClosed)).as("the database ends no connection before the pool's step")
                    .noneMatch(line -> line.contains(TERMINATED) || line.contains("Failed to validate connection"));
            assertThat(indexOf(lines, "shutdown step embedded-postgres "))
                    .as("the database is the last step").isGreaterThan(poolClosed);
        }

        try (EmbeddedDatabase restarted = EmbeddedDatabase.start(new Settings.Embedded(data, 0));
             Connection c = DriverManager.getConnection(restarted.jdbcUrl());
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT state, attempts FROM tasks WHERE queue = 'slow'")) {
            assertThat(rs.next()).as("the task is stored").isTrue();
            assertThat(rs.getString("state")).as("handed back").isEqualTo("pending");
            assertThat(rs.getInt("attempts")).as("the interrupted attempt is not counted").isZero();
        }
    }

    private HttpResponse<String> send(String method, String url, String json) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (json == null) {
            request.GET();
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String processGroup(long pid) throws IOException, InterruptedException {
        Process ps = new ProcessBuilder("ps", "-o", "pgid=", "-p", Long.toString(pid)).start();
        String group = new String(ps.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        assertThat(ps.waitFor()).as("ps for pid %s", pid).isZero();
        return group;
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }

    /** The packaged logging with the embedded server's own log (which says when it ends a connection) shown. */
    private Path postgresLogging() throws IOException {
        String packaged;
        try (var in = EmbeddedShutdownIT.class.getResourceAsStream("/logging.properties")) {
            assertThat(in).as("logging.properties on the classpath").isNotNull();
            packaged = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        Path file = workDir.resolve("logging-test.properties");
        Files.writeString(file, packaged + "\nio.zonky.level=INFO\n"); // the later key wins
        return file;
    }
}
