package io.spindle.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.helidon.common.media.type.MediaTypes;
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
            new Settings.Connections(0, 256, Duration.ofSeconds(10), 1024, Duration.ofSeconds(60)),
            new Settings.Db(Optional.empty(), "postgres", "",
                            new Settings.Pool(20, 5, Duration.ofSeconds(3), Duration.ofSeconds(600),
                                              Duration.ofSeconds(1800), Duration.ofSeconds(15)),
                            new Settings.Embedded(Path.of("data/postgres"), 0)),
            new Settings.Shutdown(Duration.ofSeconds(30), Duration.ofSeconds(5)),
            new Settings.Health(Duration.ofSeconds(1)),
            Settings.Dispatch.DEFAULTS, Settings.Enqueue.DEFAULTS, Settings.Security.DEFAULTS,
            Settings.ClientLimits.DEFAULTS, Settings.Bus.DEFAULTS, Settings.Listener.DEFAULTS, Settings.Observe.DEFAULTS,
            Settings.Delivery.DEFAULTS, Settings.Maintenance.DEFAULTS, Settings.Schedules.DEFAULTS);

    @Test
    void withNoConfigurationTheDocumentedDefaultsApply() {
        assertThat(SettingsLoader.load(Config.empty())).isEqualTo(DOCUMENTED);
    }

    @Test
    void theSampleConfigFileStatesTheDefaults() throws Exception {
        assertThat(SettingsLoader.load(sampleUncommented())).isEqualTo(DOCUMENTED);
    }

    @Test
    void theJarPacksNoSecondCopyOfTheDefaults() {
        // the defaults live in the key tables of Settings only; a packed application.yaml would be a second copy
        assertThat(SettingsLoader.class.getClassLoader().getResource("application.yaml")).isNull();
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
        values.put("db.listener.reconnect-delay", "PT2S");
        values.put("shutdown.grace", "PT5S");
        values.put("shutdown.step-timeout", "PT3S");
        values.put("health.db-timeout", "PT0.5S");
        values.put("observe.queue-depth-interval", "PT10S");
        values.put("dispatch.max-concurrent", "32");
        values.put("dispatch.max-claim", "50");
        values.put("dispatch.lease-margin", "PT20S");
        values.put("dispatch.poll-interval", "PT2S");
        values.put("dispatch.backend-cooldown", "PT0S");
        values.put("dispatch.sweep-interval", "PT30S");
        values.put("dispatch.completions-per-worker", "8");
        values.put("enqueue.writers", "2");
        values.put("enqueue.backlog", "500");
        values.put("enqueue.max-batch", "100");
        values.put("enqueue.ack-timeout", "PT10S");
        values.put("enqueue.max-waiters", "50");
        values.put("bus.subscriber-capacity", "16");
        values.put("bus.subscriber-bytes", "65536");
        values.put("bus.replay-size", "0");
        values.put("bus.replay-bytes", "0");
        values.put("bus.max-topics", "5");
        values.put("bus.max-subscribers", "6");
        values.put("bus.keep-alive", "PT1S");
        values.put("bus.topic-ttl", "PT1M");
        values.put("bus.flush-interval", "PT0S");
        values.put("ratelimit.clients.enabled", "false");
        values.put("ratelimit.clients.permits", "1000");
        values.put("ratelimit.clients.period", "PT10S");
        values.put("ratelimit.clients.max-clients", "500");
        values.put("ratelimit.clients.idle-timeout", "PT1M");
        values.put("ratelimit.clients.max-streams", "2");
        values.put("maintenance.interval", "PT2M");
        values.put("maintenance.vacuum-enabled", "false");
        values.put("maintenance.vacuum-dead-tuples", "500");
        values.put("maintenance.vacuum-dead-percent", "25");
        values.put("schedules.misfire-threshold", "PT30S");
        values.put("schedules.poll-interval", "PT10M");
        values.put("server.connections.max", "500");
        values.put("server.connections.per-client", "20");
        values.put("server.connections.header-timeout", "PT3S");
        values.put("server.connections.min-body-rate", "4096");
        values.put("server.connections.idle-timeout", "PT15S");
        values.put("delivery.signing-secrets", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        values.put("delivery.breaker-failure-rate", "75");
        values.put("delivery.breaker-minimum-calls", "4");
        assertThat(values.keySet()).as("every key of the tables")
                .containsExactlyInAnyOrderElementsOf(Settings.KEYS.stream().map(Key::name).toList());

        Settings settings = SettingsLoader.load(Config.just(ConfigSources.create(values)));

        assertThat(settings).isEqualTo(new Settings(
                new Settings.Server("0.0.0.0", 9090, 2048),
                new Settings.Connections(500, 20, Duration.ofSeconds(3), 4096, Duration.ofSeconds(15)),
                new Settings.Db(Optional.of("jdbc:postgresql://db.example:5433/spindle"), "spindle", "s3cret",
                                new Settings.Pool(7, 2, Duration.ofMillis(1500), Duration.ofMinutes(2),
                                                  Duration.ofHours(1), Duration.ofSeconds(20)),
                                new Settings.Embedded(Path.of("/var/lib/spindle/pg"), 15432)),
                new Settings.Shutdown(Duration.ofSeconds(5), Duration.ofSeconds(3)),
                new Settings.Health(Duration.ofMillis(500)),
                new Settings.Dispatch(32, 50, Duration.ofSeconds(20), Duration.ofSeconds(2), Duration.ZERO,
                                      Duration.ofSeconds(30), 8),
                new Settings.Enqueue(2, 500, 100, Duration.ofSeconds(10), 50),
                new Settings.Security(true, java.util.List.of()),
                new Settings.ClientLimits(false, 1000, Duration.ofSeconds(10), 500, Duration.ofMinutes(1), 2),
                new Settings.Bus(16, 65536, 0, 0, 5, 6, Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ZERO),
                new Settings.Listener(Duration.ofSeconds(2)),
                new Settings.Observe(Duration.ofSeconds(10)),
                new Settings.Delivery(List.of(new Settings.SigningSecret(
                        Base64.getDecoder().decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))), 75, 4),
                new Settings.Maintenance(Duration.ofMinutes(2), false, 500, 25),
                new Settings.Schedules(Duration.ofSeconds(30), Duration.ofMinutes(10))));
    }

    @Test
    void overridesLayerOverTheSampleFileKeyByKey() throws Exception {
        Config config = Config.just(ConfigSources.create(Map.of("server.port", "9191")),
                                    ConfigSources.create(ConfigurationReference.uncommented(Files.readString(SAMPLE)),
                                                         MediaTypes.APPLICATION_X_YAML));
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
        Config config = Config.just(ConfigSources.create(environment));

        Settings settings = SettingsLoader.load(config);

        assertThat(settings.db().url()).contains("jdbc:postgresql://10.1.2.3:5432/spindle");
        assertThat(settings.server().maxPayload()).isEqualTo(4096);
        assertThat(settings.db().pool().minIdle()).isEqualTo(3);
        assertThat(settings.server().port()).isEqualTo(8181);
    }

    @Test
    void renamedKeysAreStillReadUnderTheirFormerNames() {
        Map<String, String> environment = EnvironmentVariables.expand(Map.of(
                "WORKER_MAX_dash_CONCURRENT", "128",
                "RETENTION_SWEEP_dash_INTERVAL", "PT10S",
                "TASKS_MAX_dash_WAITERS", "7"));

        Settings settings = SettingsLoader.load(Config.just(ConfigSources.create(environment)));

        assertThat(settings.dispatch().maxConcurrent()).isEqualTo(128);
        assertThat(settings.dispatch().sweepInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.enqueue().maxWaiters()).isEqualTo(7);
    }

    @Test
    void aBadValueUnderAFormerNameIsRefusedNamingIt() {
        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class, () -> SettingsLoader.load(
                Config.just(ConfigSources.create(Map.of("worker.max-concurrent", "0")))));
        assertThat(e.key()).isEqualTo("worker.max-concurrent");
    }

    @Test
    void aKeyAndItsFormerNameMustNotDisagree() {
        assertThat(SettingsLoader.load(Config.just(ConfigSources.create(Map.of(
                "dispatch.max-concurrent", "128", "worker.max-concurrent", "128")))).dispatch().maxConcurrent())
                .isEqualTo(128);

        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class, () -> SettingsLoader.load(
                Config.just(ConfigSources.create(Map.of("dispatch.max-concurrent", "128", "worker.max-concurrent", "64")))));

        assertThat(e.key()).isEqualTo("dispatch.max-concurrent");
        assertThat(e.getMessage()).contains("worker.max-concurrent", "128", "64").doesNotContain("\n");
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

    private static Config sampleUncommented() throws Exception {
        return Config.just(ConfigSources.create(ConfigurationReference.uncommented(Files.readString(SAMPLE)),
                                                MediaTypes.APPLICATION_X_YAML));
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
