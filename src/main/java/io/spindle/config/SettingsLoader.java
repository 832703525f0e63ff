package io.spindle.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
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
 * Builds {@link Settings} from Helidon {@link Config}: the one place that reads configuration. Each part's
 * keys ({@link Key}) are read with their default and checked against their range, and the few rules that
 * bind two keys are checked here, so a bad value stops start-up with a message naming its key.
 */
public final class SettingsLoader {
    private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final Pattern VISIBLE_ASCII = Pattern.compile("[\\x21-\\x7E]{16,512}");
    private static final String SIGNING_SECRET_PREFIX = "whsec_";
    // the bounds the Standard Webhooks specification gives for a secret
    private static final int MIN_SIGNING_KEY_BYTES = 24;
    private static final int MAX_SIGNING_KEY_BYTES = 64;
    private static final Set<String> ROLES = Set.of("admin", "producer", "subscriber");

    private final Config config;
    private final Function<String, Optional<String>> environment;

    private SettingsLoader(Config config, Function<String, Optional<String>> environment) {
        this.config = config;
        this.environment = environment;
    }

    /**
     * System properties over environment variables over {@code config/application.yaml} in the working directory;
     * a key set in none of them has its default from the key tables of {@link Settings}.
     */
    public static Config defaultSources() {
        return Config.builder()
                .disableSystemPropertiesSource()
                .disableEnvironmentVariablesSource()
                .addSource(ConfigSources.systemProperties())
                .addSource(ConfigSources.environmentVariables())
                .addSource(ConfigSources.file("config/application.yaml").optional())
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
        Key.Values values = this::read;
        var server = Settings.Server.from(values);
        var pool = Settings.Pool.from(values);
        if (pool.minIdle() > pool.maxSize()) {
            throw new InvalidSettingException(Settings.Pool.MIN_IDLE.name(),
                                              "must not exceed db.pool.max-size (" + pool.maxSize() + ")");
        }
        var db = new Settings.Db(read(Settings.Db.URL), read(Settings.Db.USERNAME), read(Settings.Db.PASSWORD), pool,
                                 Settings.Embedded.from(values));
        return new Settings(server, Settings.Connections.from(values), db, Settings.Shutdown.from(values),
                            Settings.Health.from(values), Settings.Dispatch.from(values), Settings.Enqueue.from(values), security(server),
                            clientLimits(values), Settings.Bus.from(values), Settings.Listener.from(values),
                            Settings.Observe.from(values), delivery(values),
                            Settings.Maintenance.from(values), Settings.Schedules.from(values));
    }

    /**
     * {@code delivery.signing-secrets}: a comma-separated value (as an environment variable gives it) or a YAML list
     * of {@code whsec_<base64>} secrets. The messages name a secret by its place in the list, never by its value.
     */
    private Settings.Delivery delivery(Key.Values values) {
        String key = Settings.Delivery.SIGNING_SECRETS.name();
        Config node = config.get(key);
        List<String> entries;
        if (!node.exists()) {
            entries = List.of();
        } else if (node.isLeaf()) {
            String value = node.asString().orElse("");
            entries = value.isBlank() ? List.of() : List.of(value.split(",", -1));
        } else {
            entries = node.asList(String.class).orElse(List.of());
        }
        List<Settings.SigningSecret> secrets = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String which = "secret " + (i + 1) + " of " + entries.size();
            Settings.SigningSecret secret = signingSecret(key, which, entries.get(i).strip());
            int same = secrets.indexOf(secret);
            if (same >= 0) {
                throw new InvalidSettingException(key, which + " is the same as secret " + (same + 1));
            }
            secrets.add(secret);
        }
        return new Settings.Delivery(secrets, values.get(Settings.Delivery.BREAKER_FAILURE_RATE),
                                     values.get(Settings.Delivery.BREAKER_MINIMUM_CALLS));
    }

    private static Settings.SigningSecret signingSecret(String key, String which, String entry) {
        if (entry.isEmpty()) {
            throw new InvalidSettingException(key, which + " is empty (a doubled or trailing comma?)");
        }
        if (!entry.startsWith(SIGNING_SECRET_PREFIX)) {
            throw new InvalidSettingException(key, which + " must start with " + SIGNING_SECRET_PREFIX
                    + " followed by the key in base64");
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(entry.substring(SIGNING_SECRET_PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(key, which + " is not base64 after " + SIGNING_SECRET_PREFIX);
        }
        if (bytes.length < MIN_SIGNING_KEY_BYTES || bytes.length > MAX_SIGNING_KEY_BYTES) {
            throw new InvalidSettingException(key, which + " must decode to " + MIN_SIGNING_KEY_BYTES + " to "
                    + MAX_SIGNING_KEY_BYTES + " bytes, got " + bytes.length);
        }
        return new Settings.SigningSecret(bytes);
    }

    /**
     * Keys and protected mode: with no key configured, a non-loopback {@code server.host} needs an explicit
     * {@code security.anonymous: true}.
     */
    private Settings.Security security(Settings.Server server) {
        boolean anonymous = read(Settings.Security.ANONYMOUS);
        List<Settings.ApiKey> keys = apiKeys();
        if (keys.isEmpty() && !anonymous && !isLoopback(server.host())) {
            throw new InvalidSettingException(Settings.Security.ANONYMOUS.name(), "no API key is configured (security.api-keys) and "
                    + "server.host " + server.host() + " is not a loopback address; configure API keys, or set "
                    + "security.anonymous: true (" + Settings.Security.ANONYMOUS.environmentVariable()
                    + "=true) to serve anyone who can reach it");
        }
        if (!keys.isEmpty() && anonymous) {
            throw new InvalidSettingException(Settings.Security.ANONYMOUS.name(),
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

    private Settings.ClientLimits clientLimits(Key.Values values) {
        Settings.ClientLimits limits = Settings.ClientLimits.from(values);
        if (limits.period().getNano() != 0) {
            throw new InvalidSettingException(Settings.ClientLimits.PERIOD.name(),
                                              "must be whole seconds, got " + limits.period());
        }
        if (limits.idleTimeout().compareTo(limits.period()) < 0) {
            throw new InvalidSettingException(Settings.ClientLimits.IDLE_TIMEOUT.name(),
                                              "must not be shorter than ratelimit.clients.period (" + limits.period() + ")");
        }
        return limits;
    }

    /** The key's value as configured (under its name, or its former one), else its default; checked against its range. */
    @SuppressWarnings("unchecked") // each Key factory pairs a Type with the Java type of its values
    private <T> T read(Key<T> key) {
        Optional<Raw> raw = raw(key);
        String name = raw.map(Raw::key).orElse(key.name());
        Object value = switch (key.type()) {
            case TEXT -> text(name, raw.map(Raw::value).orElse((String) key.defaultValue()));
            case SECRET, SIGNING_SECRETS -> raw.map(Raw::value).orElse((String) key.defaultValue());
            case JDBC_URL -> jdbcUrl(name, raw.map(Raw::value));
            case BOOLEAN -> raw.map(r -> bool(name, r.value())).orElse((Boolean) key.defaultValue());
            case INTEGER -> (int) number(name, raw, (Integer) key.defaultValue(), (Integer) key.min(), (Integer) key.max());
            case BYTES -> number(name, raw, (Long) key.defaultValue(), (Long) key.min(), (Long) key.max());
            case DURATION -> duration(name, raw, (Duration) key.defaultValue(), (Duration) key.min(), (Duration) key.max());
        };
        return (T) value;
    }

    /** A value as set, and the name it was set under. */
    private record Raw(String key, String value) {
    }

    private Optional<Raw> raw(Key<?> key) {
        Optional<Raw> current = set(key.name());
        Optional<Raw> former = key.formerName().flatMap(this::set);
        if (current.isPresent() && former.isPresent()
                && !current.get().value().strip().equals(former.get().value().strip())) {
            throw new InvalidSettingException(key.name(), "is '" + current.get().value().strip() + "' but its former name "
                    + former.get().key() + " is '" + former.get().value().strip() + "'; set only " + key.name());
        }
        return current.or(() -> former);
    }

    private Optional<Raw> set(String key) {
        return config.get(key).asString().asOptional().map(value -> new Raw(key, value));
    }

    private static String text(String key, String value) {
        String stripped = value.strip();
        if (stripped.isEmpty()) {
            throw new InvalidSettingException(key, "must not be empty");
        }
        return stripped;
    }

    private static Optional<String> jdbcUrl(String key, Optional<String> raw) {
        Optional<String> url = raw.map(String::strip).filter(s -> !s.isEmpty());
        url.ifPresent(u -> {
            if (!u.startsWith("jdbc:postgresql:")) {
                throw new InvalidSettingException(key, "must be a jdbc:postgresql: URL, got '" + u + "'");
            }
        });
        return url;
    }

    private static boolean bool(String key, String raw) {
        return switch (raw.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidSettingException(key, "must be true or false, got '" + raw.strip() + "'");
        };
    }

    private static long number(String key, Optional<Raw> raw, long defaultValue, long min, long max) {
        long value;
        try {
            value = raw.map(r -> Long.parseLong(r.value().strip())).orElse(defaultValue);
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(key, "must be a whole number, got '" + raw.get().value() + "'");
        }
        if (value < min || value > max) {
            throw new InvalidSettingException(key, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private static Duration duration(String key, Optional<Raw> raw, Duration defaultValue, Duration min, Duration max) {
        Duration value;
        try {
            value = raw.map(r -> Duration.parse(r.value().strip())).orElse(defaultValue);
        } catch (DateTimeParseException e) {
            throw new InvalidSettingException(key, "must be an ISO-8601 duration such as PT30S, got '"
                    + raw.get().value() + "'");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new InvalidSettingException(key, "must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }
}
