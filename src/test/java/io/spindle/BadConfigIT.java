package io.spindle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.spindle.testing.ChildProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service refuses a bad setting at start: exit code 2 and one line naming the key, no stack trace.
 */
class BadConfigIT {
    private static final Duration EXIT_WITHIN = Duration.ofSeconds(20);

    @TempDir
    Path workDir;

    @Test
    void aPortThatIsNotANumber() {
        assertRefused(Map.of("SERVER_PORT", "notanumber"), "server.port");
    }

    @Test
    void minIdleAboveMaxSize() {
        assertRefused(Map.of("DB_POOL_MIN_dash_IDLE", "50"), "db.pool.min-idle");
    }

    @Test
    void aDbUrlThatIsNotPostgres() {
        assertRefused(Map.of("DB_URL", "jdbc:mysql://127.0.0.1:3306/spindle"), "db.url");
    }

    @Test
    void aBadValueInConfigApplicationYamlOfTheWorkingDirectory() throws Exception {
        Files.createDirectories(workDir.resolve("config"));
        Files.writeString(workDir.resolve("config/application.yaml"), """
                db:
                  pool:
                    acquire-timeout: soon
                """);
        assertRefused(Map.of(), "db.pool.acquire-timeout");
    }

    @Test
    void anEnvironmentVariableOverridesConfigApplicationYaml() throws Exception {
        // the file's port is valid; the variable's is not: the variable wins, so start-up is refused
        Files.createDirectories(workDir.resolve("config"));
        Files.writeString(workDir.resolve("config/application.yaml"), """
                server:
                  port: 8080
                """);
        assertRefused(Map.of("SERVER_PORT", "99999"), "server.port");
    }

    @Test
    void aConfigFileThatIsNotYaml() throws Exception {
        Files.createDirectories(workDir.resolve("config"));
        Files.writeString(workDir.resolve("config/application.yaml"), "server: [unclosed\n");
        try (ChildProcess child = ChildProcess.launch(workDir, Map.of(), List.of())) {
            int exit = child.awaitExit(EXIT_WITHIN);
            assertThat(exit).as("exit code; output:%n%s", child.output()).isEqualTo(2);
            assertThat(child.output()).as("no stack trace").doesNotContain("\tat ");
        }
    }

    private void assertRefused(Map<String, String> env, String key) {
        try (ChildProcess child = ChildProcess.launch(workDir, env, List.of())) {
            int exit = child.awaitExit(EXIT_WITHIN);
            String output = child.output();

            assertThat(exit).as("exit code; output:%n%s", output).isEqualTo(2);
            assertThat(child.lines()).as("output:%n%s", output)
                    .filteredOn(line -> line.contains(key))
                    .hasSize(1);
            assertThat(output).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception");
            assertThat(Files.exists(workDir.resolve("data"))).as("no embedded database was started").isFalse();
        }
    }
}
