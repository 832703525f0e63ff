package io.spindle.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Optional;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * Builds {@link Settings} from Helidon {@link Config}: the one place that reads configuration.
 * Every value is checked here so a bad one stops start-up with a message naming its key.
 */
public final class SettingsLoader {
    private final Config config;

    private SettingsLoader(Config config) {
        this.config = config;
    }

    /**
     * System properties over environment variables over {@code config/application.yaml} in the working directory over the
     * defaults packed in the jar.
     */
    public static Config defaultSources() {
        return Config.builder()
                .disableSystemPropertiesSource()
                .disableEnvironmentVariablesSource()
                .addSource(ConfigSources.systemProperties())
                .addSource(ConfigSources.environmentVariables())
                .addSource(ConfigSources.file("config/application.yaml").optional())
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
    }

    public static Settings load(Config config) {
        return new SettingsLoader(config).settings();
    }

    private Settings settings() {
        var server = new Settings.Server(
                text("server.host", "127.0.0.1"),
                integer("server.port", 8080, 0, 65535),
                longValue("server.max-payload", 1_048_576L, 1024L, 64L * 1024 * 1024));
        var pool = new Settings.Pool(
                integer("db.pool.max-size", 20, 1, 1000),
                integer("db.pool.min-idle", 5, 0, 1000),
                duration("db.pool.acquire-timeout", Duration.ofSeconds(3), Duration.ofMillis(250), Duration.ofMinutes(1)),
                duration("db.pool.idle-timeout", Duration.ofSeconds(600), Duration.ofSeconds(10), Duration.ofDays(1)),
                duration("db.pool.max-lifetime", Duration.ofSeconds(1800), Duration.ofSeconds(30), Duration.ofDays(1)),
                duration("db.pool.socket-timeout", Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofHours(1)));
        if (pool.minIdle() > pool.maxSize()) {
            throw new InvalidSettingException("db.pool.min-idle", "must not exceed db.pool.max-size (" + pool.maxSize() + ")");
        }
        Optional<String> url = config.get("db.url").asString().asOptional().map(String::strip).filter(s -> !s.isEmpty());
        url.ifPresent(u -> {
            if (!u.startsWith("jdbc:postgresql:")) {
                throw new InvalidSettingException("db.url", "must be a jdbc:postgresql: URL, got '" + u + "'");
            }
        });
        var db = new Settings.Db(url,
                                 text("db.username", "postgres"),
                                 config.get("db.password").asString().orElse(""),
                                 pool,
                                 new Settings.Embedded(Path.of(text("db.embedded.data-dir", "data/postgres")),
                                                       integer("db.embedded.port", 0, 0, 65535)));
        var shutdown = new Settings.Shutdown(
                duration("shutdown.grace", Duration.ofSeconds(30), Duration.ZERO, Duration.ofMinutes(10)));
        var health = new Settings.Health(
                duration("health.db-timeout", Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ofSeconds(30)));
        var dispatch = new Settings.Dispatch(
                integer("worker.max-concurrent", 64, 1, 10_000),
                integer("dispatch.max-claim", 200, 1, 10_000),
                duration("dispatch.lease-margin", Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(1)),
                duration("dispatch.poll-interval", Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMinutes(10)),
                duration("dispatch.backend-cooldown", Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1)),
                duration("retention.sweep-interval", Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofDays(1)));
        var enqueue = new Settings.Enqueue(
                integer("enqueue.writers", 2, 1, 64),
                integer("enqueue.backlog", 10_000, 1, 1_000_000),
                integer("tasks.max-waiters", 10_000, 1, 1_000_000));
        return new Settings(server, db, shutdown, health, dispatch, enqueue).withBus(bus());
    }

    private Settings.Bus bus() {
        return new Settings.Bus(
                integer("bus.subscriber-capacity", 256, 1, 100_000),
                integer("bus.replay-size", 1000, 0, 1_000_000),
                integer("bus.max-topics", 10_000, 1, 10_000_000),
                integer("bus.max-subscribers", 10_000, 1, 10_000_000),
                duration("bus.keep-alive", Duration.ofSeconds(15), Duration.ofMillis(10), Duration.ofMinutes(10)),
                duration("bus.topic-ttl", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1)),
                duration("bus.flush-interval", Duration.ofMillis(5), Duration.ZERO, Duration.ofSeconds(1)));
    }

    private String text(String key, String defaultValue) {
        String value = config.get(key).asString().orElse(defaultValue).strip();
        if (value.isEmpty()) {
            throw new InvalidSettingException(key, "must not be empty");
        }
        return value;
    }

    private int integer(String key, int defaultValue, int min, int max) {
        long value = longValue(key, defaultValue, min, max);
        return (int) value;
    }

    private long longValue(String key, long defaultValue, long min, long max) {
        Optional<String> raw = config.get(key).asString().asOptional();
        long value;
        try {
            value = raw.map(String::strip).map(Long::parseLong).orElse(defaultValue);
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(key, "must be a whole number, got '" + raw.orElse("") + "'");
        }
        if (value < min || value > max) {
            throw new InvalidSettingException(key, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private Duration duration(String key, Duration defaultValue, Duration min, Duration max) {
        Optional<String> raw = config.get(key).asString().asOptional();
        Duration value;
        try {
            value = raw.map(String::strip).map(Duration::parse).orElse(defaultValue);
        } catch (DateTimeParseException e) {
            throw new InvalidSettingException(key, "must be an ISO-8601 duration such as PT30S, got '" + raw.orElse("") + "'");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new InvalidSettingException(key, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }
}
