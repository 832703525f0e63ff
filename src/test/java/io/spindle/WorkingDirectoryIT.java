package io.spindle;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.spindle.testing.ChildProcess;
import io.spindle.testing.LocalHttp;
import io.spindle.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service reads what its working directory holds: {@code config/application.yaml} configures Helidon's
 * own parts too (here {@code metrics.tags}), and a {@code logging.properties} there replaces the packaged one.
 */
class WorkingDirectoryIT {
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);

    private final int port = ChildProcess.freePort();

    @TempDir
    Path workDir;

    @Test
    void metricsTagsInConfigApplicationYamlTagEverySeries() throws Exception {
        Files.createDirectories(workDir.resolve("config"));
        Files.writeString(workDir.resolve("config/application.yaml"), """
                metrics:
                  tags: "region=working-directory-it"
                """);
        try (TestDatabase.Fresh db = TestDatabase.fresh(); ChildProcess child = start(db)) {
            String metrics = get(child, "/observe/metrics");
            List<String> series = metrics.lines().filter(line -> !line.startsWith("#") && !line.isBlank()).toList();
            assertThat(series).as("Spindle's own meters among them").anyMatch(line -> line.startsWith("hikaricp_connections_max"))
                    .allMatch(line -> line.contains("region=\"working-directory-it\""));
        }
    }

    @Test
    void aLoggingPropertiesFileInTheWorkingDirectoryReplacesThePackagedOne() throws Exception {
        Files.writeString(workDir.resolve("logging.properties"), """
                handlers=io.helidon.logging.jul.HelidonConsoleHandler
                java.util.logging.SimpleFormatter.format=from-the-working-directory %4$s %3$s: %5$s%n
                .level=INFO
                io.helidon.level=WARNING
                """);
        try (TestDatabase.Fresh db = TestDatabase.fresh(); ChildProcess child = start(db)) {
            assertThat(child.lines()).as(child.output())
                    .anyMatch(line -> line.startsWith("from-the-working-directory INFO io.spindle.Main: Spindle started in"));
        }
    }

    private ChildProcess start(TestDatabase.Fresh db) {
        ChildProcess child = ChildProcess.launch(workDir, Map.of(
                "DB_URL", db.jdbcUrl(), "DB_USERNAME", db.username(), "DB_PASSWORD", db.password(),
                "SERVER_PORT", Integer.toString(port)), List.of());
        child.awaitReady(port, READY_WITHIN);
        return child;
    }

    private String get(ChildProcess child, String path) {
        HttpResponse<String> response = new LocalHttp(port).get(path);
        assertThat(response.statusCode()).as("%s; output:%n%s", path, child.output()).isEqualTo(200);
        return response.body();
    }
}
