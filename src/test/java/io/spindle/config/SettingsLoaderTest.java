package io.spindle.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsLoaderTest {
    private static final Path SAMPLE = Path.of("config/application.yaml");

    /** The defaults SPEC §1 promises, spelled out once. */
    private static final Settings DOCUMENTED = new Settings(
            new Settings.Server("127.0.0.1", 8080, 1_048_576L),
            new Settings.Db(Optional.empty(), "postgres", "",
                            new Settings.Pool(20, 5, Duration.ofSeconds(3), Duration.ofSeconds(600),
                                              Duration.ofSeconds(1800), Duration.ofSeconds(15)),
                            new Settings.Embedded(Path.of("data/postgres"), 0)),
            new Settings.Shutdown(Duration.ofSeconds(30)),
            new Settings.Health(Duration.ofSeconds(1)));

    @Test
    void withNoConfigurationTheDocumentedDefaultsApply() {
        assertThat(SettingsLoader.load(Config.empty())).isEqualTo(DOCUMENTED);
    }

    @Test
    void theSampleConfigFileStatesTheDefaults() {
        assertThat(SAMPLE).exists();
        Settings fromSample = SettingsLoader.load(Config.just(ConfigSources.file(SAMPLE)));
        assertThat(fromSample).isEqualTo(DOCUMENTED);
    }

    @Test
    void theDefaultsPackedInTheJarAreTheDocumentedOnes() {
        Settings packed = SettingsLoader.load(Config.just(ConfigSources.classpath("application.yaml")));
        assertThat(packed).isEqualTo(DOCUMENTED);
    }

    @Test
    void everyKeyCanBeOverridden() {
        Map<String, String> values = new HashMap<>();
        values.put("server.host", "0.0.0.0");
        values.put("security.anonymous", "true"); // else protected mode refuses 0.0.0.0 without a key
        values.put("server.port", "9090");
        values.put("server.max-payload", "2048");
        values.put("db.url", "jdbc:postgresql://db.example:5433/spindle");
        values.put("db.username", "spindle");
        values.put("db.password", "s3cret");
        values.put("db.pool.max-size", "7");
        values.put("db.pool.min-idle", "2");
        values.put("db.pool.acquire-timeout", "PT1.5S");
        values.put("db.pool.idle-timeout", "PT2M");
        values.put("db.pool.max-lifetime", "PT1H");
        values.put("db.pool.socket-timeout", "PT20S");
        values.put("db.embedded.data-dir", "/var/lib/spindle/pg");
        values.put("db.embedded.port", "15432");
        values.put("shutdown.grace", "PT5S");
        values.put("health.db-timeout", "PT0.5S");

        Settings settings = SettingsLoader.load(Config.just(ConfigSources.create(values)));

        assertThat(settings).isEqualTo(new Settings(
                new Settings.Server("0.0.0.0", 9090, 2048),
                new Settings.Db(Optional.of("jdbc:postgresql://db.example:5433/spindle"), "spindle", "s3cret",
                                new Settings.Pool(7, 2, Duration.ofMillis(1500), Duration.ofMinutes(2),
                                                  Duration.ofHours(1), Duration.ofSeconds(20)),
                                new Settings.Embedded(Path.of("/var/lib/spindle/pg"), 15432)),
                new Settings.Shutdown(Duration.ofSeconds(5)),
                new Settings.Health(Duration.ofMillis(500)))
                .withSecurity(new Settings.Security(true, java.util.List.of())));
    }

    @Test
    void overridesLayerOverTheSampleFileKeyByKey() {
        Config config = Config.just(ConfigSources.create(Map.of("server.port", "9191")),
                                    ConfigSources.file(SAMPLE));
        Settings settings = SettingsLoader.load(config);
        assertThat(settings.server().port()).isEqualTo(9191);
        assertThat(settings.server().host()).isEqualTo("127.0.0.1");
        assertThat(settings.db().pool()).isEqualTo(DOCUMENTED.db().pool());
    }

    @Test
    void environmentVariablesMapToKeysTheHelidonWay() {
        // EnvironmentVariables.expand is the mapping ConfigSources.environmentVariables() applies to the real
        // environment; the packaged-jar tests (BadConfigIT, ShutdownIT) cover the real environment itself.
        Map<String, String> environment = EnvironmentVariables.expand(Map.of(
                "DB_URL", "jdbc:postgresql://10.1.2.3:5432/spindle",
                "SERVER_MAX_dash_PAYLOAD", "4096",
                "DB_POOL_MIN_dash_IDLE", "3",
                "SERVER_PORT", "8181"));
        Config config = Config.just(ConfigSources.create(environment),
                                    ConfigSources.classpath("application.yaml"));

        Settings settings = SettingsLoader.load(config);

        assertThat(settings.db().url()).contains("jdbc:postgresql://10.1.2.3:5432/spindle");
        assertThat(settings.server().maxPayload()).isEqualTo(4096);
        assertThat(settings.db().pool().minIdle()).isEqualTo(3);
        assertThat(settings.server().port()).isEqualTo(8181);
    }

    @Test
    void aBlankDbUrlMeansTheEmbeddedDatabase() {
        Settings settings = SettingsLoader.load(Config.just(ConfigSources.create(Map.of("db.url", "  "))));
        assertThat(settings.db().url()).isEmpty();
    }

    @Test
    void portZeroPicksAFreePortAndIsAllowed() {
        Settings settings = SettingsLoader.load(Config.just(ConfigSources.create(Map.of("server.port", "0"))));
        assertThat(settings.server().port()).isZero();
    }

    @ParameterizedTest(name = "{0} = ''{1}''")
    @CsvSource(delimiter = '|', value = {
            "server.port              | notanumber",
            "server.port              | 65536",
            "server.port              | -1",
            "server.port              | 8080.5",
            "server.host              | ' '",
            "server.max-payload       | 12",
            "server.max-payload       | 1MiB",
            "db.pool.max-size         | 0",
            "db.pool.min-idle         | -1",
            "db.pool.acquire-timeout  | 3s",
            "db.pool.acquire-timeout  | PT0S",
            "db.pool.acquire-timeout  | PT2H",
            "db.pool.idle-timeout     | ten minutes",
            "db.pool.max-lifetime     | PT1S",
            "db.pool.socket-timeout   | P",
            "db.embedded.port         | 70000",
            "shutdown.grace           | -PT1S",
            "shutdown.grace           | 30",
            "health.db-timeout        | PT0.001S",
            "db.url                   | jdbc:mysql://127.0.0.1:3306/spindle",
            "db.url                   | postgres://127.0.0.1/spindle",
    })
    void aBadValueIsRefusedNamingItsKey(String key, String value) {
        Config config = Config.just(ConfigSources.create(Map.of(key, value)));

        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class,
                                                         () -> SettingsLoader.load(config));

        assertThat(e).as("%s = '%s' must be refused", key, value).isNotNull();
        assertThat(e.key()).isEqualTo(key);
        assertThat(e.getMessage()).contains(key).doesNotContain("\n");
    }

    @Test
    void minIdleAboveMaxSizeIsRefusedNamingMinIdle() {
        Config config = Config.just(ConfigSources.create(Map.of("db.pool.max-size", "10", "db.pool.min-idle", "11")));

        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class,
                                                         () -> SettingsLoader.load(config));

        assertThat(e).isNotNull();
        assertThat(e.key()).isEqualTo("db.pool.min-idle");
        assertThat(e.getMessage()).contains("db.pool.max-size");
    }

    @Test
    void minIdleAboveTheDefaultMaxSizeIsRefused() {
        Config config = Config.just(ConfigSources.create(Map.of("db.pool.min-idle", "50")));

        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class,
                                                         () -> SettingsLoader.load(config));

        assertThat(e).isNotNull();
        assertThat(e.key()).isEqualTo("db.pool.min-idle");
    }

    @Test
    void aBadValueInAYamlFileIsRefusedNamingItsKey() throws Exception {
        Path file = Files.createTempFile("spindle-settings", ".yaml");
        try {
            Files.writeString(file, """
                    server:
                      port: 8080
                    db:
                      pool:
                        acquire-timeout: soon
                    """);
            InvalidSettingException e = catchThrowableOfType(
                    InvalidSettingException.class,
                    () -> SettingsLoader.load(Config.just(ConfigSources.file(file))));
            assertThat(e).isNotNull();
            assertThat(e.key()).isEqualTo("db.pool.acquire-timeout");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
