package io.spindle.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The key tables of {@link Settings} are the one source of the configuration: the loader reads every key under
 * its environment variable too, enforces every bound, the names follow the records, and
 * {@code docs/configuration.md} and {@code config/application.yaml} say exactly what the tables say. After
 * adding or changing a key, regenerate both files with
 * {@code mvn -B -o -q test -Dtest=ConfigurationFilesTest -Dspindle.regenerate=true}.
 */
class ConfigurationFilesTest {
    private static final Path DOCS = Path.of("docs/configuration.md");
    private static final Path SAMPLE = Path.of("config/application.yaml");
    private static final boolean REGENERATE = Boolean.getBoolean("spindle.regenerate");
    private static final String HOW = "; regenerate it from the key tables with "
            + "mvn -B -o -q test -Dtest=ConfigurationFilesTest -Dspindle.regenerate=true";

    @Test
    void docsConfigurationMdHoldsTheKeyTable() throws IOException {
        String docs = Files.readString(DOCS);
        int begin = docs.indexOf(ConfigurationReference.TABLE_BEGIN);
        int end = docs.indexOf(ConfigurationReference.TABLE_END);
        assertThat(begin).as("%s has the marker %s", DOCS, ConfigurationReference.TABLE_BEGIN).isNotNegative();
        assertThat(end).as("%s has the marker %s", DOCS, ConfigurationReference.TABLE_END).isGreaterThan(begin);
        String table = docs.substring(begin, end + ConfigurationReference.TABLE_END.length() + 1);
        String expected = ConfigurationReference.markdownTable(Settings.KEYS);
        if (REGENERATE && !table.equals(expected)) {
            Files.writeString(DOCS, docs.substring(0, begin) + expected + docs.substring(begin + table.length()));
            return;
        }
        assertThat(table).as(DOCS + " differs from the key tables" + HOW).isEqualTo(expected);
    }

    @Test
    void configApplicationYamlIsTheSampleOfTheKeyTable() throws IOException {
        String expected = ConfigurationReference.sampleYaml(Settings.KEYS);
        if (REGENERATE && !Files.readString(SAMPLE).equals(expected)) {
            Files.writeString(SAMPLE, expected);
            return;
        }
        assertThat(Files.readString(SAMPLE)).as(SAMPLE + " differs from the key tables" + HOW).isEqualTo(expected);
    }

    @Test
    void theSampleSetsNothingAndUncommentedStatesEveryKeyAtItsDefault() throws IOException {
        String sample = Files.readString(SAMPLE);
        Settings defaults = SettingsLoader.load(Config.empty());
        assertThat(SettingsLoader.load(Config.just(ConfigSources.file(SAMPLE)))).isEqualTo(defaults);
        assertThat(leafKeys(Config.just(ConfigSources.file(SAMPLE)))).as("keys the sample sets").isEmpty();

        Config uncommented = yaml(ConfigurationReference.uncommented(sample));
        assertThat(leafKeys(uncommented)).containsExactlyInAnyOrderElementsOf(Settings.KEYS.stream().map(Key::name).toList());
        assertThat(SettingsLoader.load(uncommented)).isEqualTo(defaults);
    }

    @Test
    void keyNamesFollowTheRecordsThatHoldThem() {
        List<Key<?>> declared = new ArrayList<>();
        parts(Settings.class).forEach((part, keys) -> {
            List<String> components = Stream.of(part.getRecordComponents())
                    .filter(c -> !c.getType().isRecord() && !(part == Settings.Security.class && c.getName().equals("apiKeys")))
                    .map(RecordComponent::getName).toList();
            String prefix = keys.getFirst().name().substring(0, keys.getFirst().name().lastIndexOf('.') + 1);
            assertThat(keys).as("%s's keys", part.getSimpleName()).extracting(Key::name)
                    .containsExactlyElementsOf(components.stream().map(c -> prefix + kebab(c)).toList());
            declared.addAll(keys);
        });
        assertThat(Settings.KEYS).containsExactlyInAnyOrderElementsOf(declared).doesNotHaveDuplicates();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keysWithABadValue")
    void everyKeyIsReadUnderItsEnvironmentVariable(Key<?> key, String bad) {
        Map<String, String> environment = EnvironmentVariables.expand(Map.of(key.environmentVariable(), bad));
        assertThat(environment).as("Helidon maps %s", key.environmentVariable()).containsEntry(key.name(), bad);

        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class,
                () -> SettingsLoader.load(Config.just(ConfigSources.create(environment))));

        assertThat(e).as("%s=%s refused", key.environmentVariable(), bad).isNotNull();
        assertThat(e.key()).isEqualTo(key.name());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keysWithARange")
    void everyBoundIsEnforcedNamingItsKey(Key<?> key, String belowMin, String aboveMax) {
        for (String outside : List.of(belowMin, aboveMax)) {
            InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class, () -> load(key, outside));
            assertThat(e).as("%s = %s refused", key.name(), outside).isNotNull();
            assertThat(e.key()).isEqualTo(key.name());
            assertThat(e.getMessage()).contains(key.min().toString(), key.max().toString());
        }
        for (Object bound : List.of(key.min(), key.max())) {
            // a rule that binds two keys may refuse a bound, but then it names the other key
            InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class, () -> load(key, bound.toString()));
            if (e != null) {
                assertThat(e.getMessage()).as("%s = %s", key.name(), bound).doesNotContain("must be between");
            }
        }
    }

    static Stream<Object[]> keysWithABadValue() {
        return Settings.KEYS.stream()
                .filter(key -> key.type() != Key.Type.SECRET) // any text is a password
                .map(key -> new Object[] {key, switch (key.type()) {
                    case TEXT -> " ";
                    case JDBC_URL -> "jdbc:mysql://127.0.0.1/spindle";
                    default -> "not-a-value";
                }});
    }

    static Stream<Object[]> keysWithARange() {
        return Settings.KEYS.stream().filter(key -> key.min() != null).map(key -> switch (key.type()) {
            case INTEGER -> new Object[] {key, Integer.toString((Integer) key.min() - 1), Integer.toString((Integer) key.max() + 1)};
            case BYTES -> new Object[] {key, Long.toString((Long) key.min() - 1), Long.toString((Long) key.max() + 1)};
            case DURATION -> new Object[] {key, ((Duration) key.min()).minusNanos(1).toString(),
                                           ((Duration) key.max()).plusNanos(1).toString()};
            default -> throw new IllegalStateException(key + " has a range but is not a number or duration");
        });
    }

    private static Settings load(Key<?> key, String value) {
        return SettingsLoader.load(Config.just(ConfigSources.create(Map.of(key.name(), value))));
    }

    /** Each part record reachable from {@code type} and the table of keys it declares. */
    private static Map<Class<?>, List<Key<?>>> parts(Class<?> type) {
        Map<Class<?>, List<Key<?>>> parts = new LinkedHashMap<>();
        for (RecordComponent component : type.getRecordComponents()) {
            Class<?> part = component.getType();
            if (!part.isRecord()) {
                continue;
            }
            List<Key<?>> keys = keysOf(part);
            if (!keys.isEmpty()) {
                parts.put(part, keys);
            }
            parts.putAll(parts(part));
        }
        return parts;
    }

    @SuppressWarnings("unchecked")
    private static List<Key<?>> keysOf(Class<?> part) {
        try {
            return (List<Key<?>>) part.getField("KEYS").get(null);
        } catch (NoSuchFieldException e) {
            assertThat(part.getRecordComponents()).as("%s has settings but no KEYS table", part.getSimpleName())
                    .allMatch(c -> c.getType().isRecord());
            return List.of();
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static Config yaml(String text) {
        return Config.just(ConfigSources.create(text, MediaTypes.APPLICATION_X_YAML));
    }

    private static List<String> leafKeys(Config config) {
        return config.traverse().filter(Config::isLeaf).map(node -> node.key().toString()).toList();
    }
}
