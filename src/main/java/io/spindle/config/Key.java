package io.spindle.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * One configuration key, stated once: its name, its default, the values it accepts, and what it does in one
 * line. Each part of {@link Settings} lists its keys in a table of such constants; {@link SettingsLoader} reads
 * them, and {@code docs/configuration.md} and {@code config/application.yaml} are generated from them (a test
 * fails when either drifts). A key that was renamed keeps its {@code formerName}, which is still read.
 *
 * @param min the smallest accepted value of a number or duration, else null
 * @param max the largest accepted value of a number or duration, else null
 */
public record Key<T>(String name, Type type, T defaultValue, T min, T max, String doc, Optional<String> formerName) {

    /** How a value is written and checked. */
    public enum Type {
        /** Text that must not be blank; surrounding spaces are dropped. */
        TEXT,
        /** Text taken as written, empty allowed (a password). */
        SECRET,
        /** Comma-separated {@code whsec_<base64>} signing secrets (or a YAML list); empty means none. */
        SIGNING_SECRETS,
        /** An optional {@code jdbc:postgresql:} URL; blank means unset. */
        JDBC_URL,
        BOOLEAN,
        INTEGER,
        /** A number of bytes. */
        BYTES,
        /** An ISO-8601 duration such as {@code PT30S}. */
        DURATION
    }

    static Key<String> text(String name, String defaultValue, String doc) {
        return new Key<>(name, Type.TEXT, defaultValue, null, null, doc, Optional.empty());
    }

    static Key<String> secret(String name, String doc) {
        return new Key<>(name, Type.SECRET, "", null, null, doc, Optional.empty());
    }

    static Key<String> signingSecrets(String name, String doc) {
        return new Key<>(name, Type.SIGNING_SECRETS, "", null, null, doc, Optional.empty());
    }

    static Key<Optional<String>> jdbcUrl(String name, String doc) {
        return new Key<>(name, Type.JDBC_URL, Optional.empty(), null, null, doc, Optional.empty());
    }

    static Key<Boolean> bool(String name, boolean defaultValue, String doc) {
        return new Key<>(name, Type.BOOLEAN, defaultValue, null, null, doc, Optional.empty());
    }

    static Key<Integer> integer(String name, int defaultValue, int min, int max, String doc) {
        return new Key<>(name, Type.INTEGER, defaultValue, min, max, doc, Optional.empty());
    }

    static Key<Long> bytes(String name, long defaultValue, long min, long max, String doc) {
        return new Key<>(name, Type.BYTES, defaultValue, min, max, doc, Optional.empty());
    }

    static Key<Duration> duration(String name, Duration defaultValue, Duration min, Duration max, String doc) {
        return new Key<>(name, Type.DURATION, defaultValue, min, max, doc, Optional.empty());
    }

    /** This key, still read under the name it had before (when its new name is not set). */
    Key<T> formerly(String former) {
        return new Key<>(name, type, defaultValue, min, max, doc, Optional.of(former));
    }

    /**
     * The environment variable that sets this key in Helidon's mapping: dots become underscores, dashes
     * {@code _dash_}, and letters upper case ({@code server.max-payload} ← {@code SERVER_MAX_dash_PAYLOAD}).
     */
    public String environmentVariable() {
        return name.toUpperCase(Locale.ROOT).replace(".", "_").replace("-", "_dash_");
    }

    /** Where each key's value comes from when a part of {@link Settings} is built: the configuration, or the defaults. */
    interface Values {
        <T> T get(Key<T> key);
    }

    /** Every key at its default. */
    static final Values DEFAULTS = Key::defaultValue;
}
