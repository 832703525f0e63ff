package io.spindle.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * Builds {@link Settings} from Helidon {@link Config}: the one place that reads configuration.
 * Every value is checked here so a bad one stops start-up with a message naming its key.
 */
public final class SettingsLoader {
    private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern VISIBLE_ASCII = Pattern.compile("[\\x21-\\x7E]{16,512}");
    private static final Set<String> ROLES = Set.of("admin", "producer", "subscriber");

    private final Config config;
    private final Function<String, Optional<String>> environment;

    private SettingsLoader(Config config, Function<String, Optional<String>> environment) {
        this.config = config;
        this.environment = environment;
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
        return load(config, name -> Optional.ofNullable(System.getenv(name)));
    }

    /** @param environment looks up the variables that {@code security.api-keys[].key-env} names */
    public static Settings load(Config config, Function<String, Optional<String>> environment) {
        return new SettingsLoader(config, environment).settings();
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
                duration("db.pool.socket-timeout", Duration.ofSeconds(15), Duration.ofSeconds(1), Duration.ofHours(1)));
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
                integer("enqueue.writers", 4, 1, 64),
                integer("enqueue.backlog", 10_000, 1, 1_000_000),
                integer("tasks.max-waiters", 10_000, 1, 1_000_000));
        return new Settings(server, db, shutdown, health, dispatch, enqueue, security(server), clientLimits(), bus());
    }

    private Settings.Bus bus() {
        return new Settings.Bus(
                integer("bus.subscriber-capacity", 256, 1, 100_000),
                longValue("bus.subscriber-bytes", 1L << 20, 64L * 1024, 1L << 30),
                integer("bus.replay-size", 1000, 0, 1_000_000),
                longValue("bus.replay-bytes", 64L << 20, 0, 1L << 40),
                integer("bus.max-topics", 10_000, 1, 10_000_000),
                integer("bus.max-subscribers", 10_000, 1, 10_000_000),
                duration("bus.keep-alive", Duration.ofSeconds(15), Duration.ofMillis(10), Duration.ofMinutes(10)),
                duration("bus.topic-ttl", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1)),
                duration("bus.flush-interval", Duration.ofMillis(10), Duration.ZERO, Duration.ofSeconds(1)));
    }

    /**
     * Keys and protected mode: with no key configured, a non-loopback {@code server.host} needs an explicit
     * {@code security.anonymous: true}.
     */
    private Settings.Security security(Settings.Server server) {
        boolean anonymous = bool("security.anonymous", false);
        List<Settings.ApiKey> keys = apiKeys();
        if (keys.isEmpty() && !anonymous && !isLoopback(server.host())) {
            throw new InvalidSettingException("security.anonymous", "no API key is configured (security.api-keys) and "
                    + "server.host " + server.host() + " is not a loopback address; configure API keys, or set "
                    + "security.anonymous: true (SECURITY_ANONYMOUS=true) to serve anyone who can reach it");
        }
        if (!keys.isEmpty() && anonymous) {
            throw new InvalidSettingException("security.anonymous",
                    "must not be true when security.api-keys are configured (every request then needs a key)");
        }
        return new Settings.Security(anonymous, keys);
    }

    private List<Settings.ApiKey> apiKeys() {
        Config list = config.get("security.api-keys");
        if (!list.exists() || list.isLeaf() && list.asString().orElse("").isBlank()) {
            return List.of();
        }
        List<Config> entries = list.asNodeList().orElse(List.of());
        List<Settings.ApiKey> keys = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        Set<String> digests = new LinkedHashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            Config entry = entries.get(i);
            String at = "security.api-keys." + i;
            String name = entry.get("name").asString().orElse("").strip();
            if (!KEY_NAME.matcher(name).matches()) {
                throw new InvalidSettingException(at + ".name", "must match [A-Za-z0-9._-]{1,64}, got '" + name + "'");
            }
            if (!names.add(name)) {
                throw new InvalidSettingException(at + ".name", "'" + name + "' names two keys");
            }
            Set<String> roles = roles(entry.get("roles"), at + ".roles");
            String digest = digest(entry, at);
            if (!digests.add(digest)) {
                throw new InvalidSettingException(at, "key '" + name + "' is the same key as another one");
            }
            keys.add(new Settings.ApiKey(name, roles, digest));
        }
        return keys;
    }

    private static Set<String> roles(Config node, String key) {
        List<String> raw = node.isLeaf()
                ? List.of(node.asString().orElse("").split(","))
                : node.asList(String.class).orElse(List.of());
        Set<String> roles = new LinkedHashSet<>();
        for (String role : raw) {
            String r = role.strip().toLowerCase(Locale.ROOT);
            if (!ROLES.contains(r)) {
                throw new InvalidSettingException(key, "each role must be admin, producer or subscriber, got '" + role.strip() + "'");
            }
            roles.add(r);
        }
        if (roles.isEmpty()) {
            throw new InvalidSettingException(key, "must name at least one of admin, producer, subscriber");
        }
        return roles;
    }

    /** The key's SHA-256 in lowercase hex: given as {@code sha256}, or computed from the variable {@code key-env} names. */
    private String digest(Config entry, String at) {
        Optional<String> sha = entry.get("sha256").asString().asOptional().map(String::strip).filter(s -> !s.isEmpty());
        Optional<String> env = entry.get("key-env").asString().asOptional().map(String::strip).filter(s -> !s.isEmpty());
        if (sha.isPresent() == env.isPresent()) {
            throw new InvalidSettingException(at, "needs exactly one of key-env (an environment variable holding the key) "
                    + "and sha256 (the key's SHA-256 in hex)");
        }
        if (sha.isPresent()) {
            if (!SHA256_HEX.matcher(sha.get()).matches()) {
                throw new InvalidSettingException(at + ".sha256", "must be 64 hexadecimal digits");
            }
            return sha.get().toLowerCase(Locale.ROOT);
        }
        // the message names the variable, never its value
        String value = environment.apply(env.get()).orElseThrow(() -> new InvalidSettingException(
                at + ".key-env", "the environment variable " + env.get() + " is not set"));
        if (!VISIBLE_ASCII.matcher(value).matches()) {
            throw new InvalidSettingException(at + ".key-env", "the key in " + env.get()
                    + " must be 16 to 512 visible ASCII characters (no spaces)");
        }
        return sha256Hex(value);
    }

    /** The lowercase hex SHA-256 of a key's UTF-8 bytes, as {@code security.api-keys[].sha256} expects it. */
    public static String sha256Hex(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static boolean isLoopback(String host) {
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private Settings.ClientLimits clientLimits() {
        Duration period = duration("ratelimit.clients.period", Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofHours(1));
        if (period.getNano() != 0) {
            throw new InvalidSettingException("ratelimit.clients.period", "must be whole seconds, got " + period);
        }
        Duration idle = duration("ratelimit.clients.idle-timeout", Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1));
        if (idle.compareTo(period) < 0) {
            throw new InvalidSettingException("ratelimit.clients.idle-timeout",
                                              "must not be shorter than ratelimit.clients.period (" + period + ")");
        }
        return new Settings.ClientLimits(
                bool("ratelimit.clients.enabled", true),
                integer("ratelimit.clients.permits", 100_000, 1, 100_000_000),
                period,
                integer("ratelimit.clients.max-clients", 10_000, 16, 10_000_000),
                idle,
                integer("ratelimit.clients.max-streams", 10, 1, 100_000));
    }

    private boolean bool(String key, boolean defaultValue) {
        Optional<String> raw = config.get(key).asString().asOptional().map(String::strip);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        return switch (raw.get().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidSettingException(key, "must be true or false, got '" + raw.get() + "'");
        };
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
