package io.spindle.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code security.*} and {@code ratelimit.clients.*}: keys from an environment variable or a digest, roles,
 * protected mode (SPEC §6), and the client limits, each bad value refused with its key named.
 */
class SecuritySettingsTest {
    private static final String OPS_KEY = "ops-key-0123456789abcdef";
    private static final Map<String, String> ENV = Map.of("SPINDLE_KEY_OPS", OPS_KEY, "SHORT", "tooshort");

    private static Settings load(String yaml) {
        return SettingsLoader.load(Config.just(ConfigSources.create(yaml, MediaTypes.APPLICATION_X_YAML)),
                                   name -> Optional.ofNullable(ENV.get(name)));
    }

    private static InvalidSettingException refused(String yaml) {
        return catchThrowableOfType(InvalidSettingException.class, () -> load(yaml));
    }

    @Test
    void byDefaultNoKeyAndGenerousLimits() {
        Settings settings = SettingsLoader.load(Config.empty());
        assertThat(settings.security()).isEqualTo(Settings.Security.DEFAULTS);
        assertThat(settings.security().apiKeys()).isEmpty();
        assertThat(settings.clientLimits()).isEqualTo(new Settings.ClientLimits(
                true, 100_000, Duration.ofSeconds(1), 10_000, Duration.ofMinutes(5), 10));
        assertThat(settings.clientLimits()).isEqualTo(Settings.ClientLimits.DEFAULTS);
    }

    @Test
    void keysFromAnEnvironmentVariableOrADigest() {
        String digest = SettingsLoader.sha256Hex("web-key-0123456789abcdef");
        Settings settings = load("""
                security:
                  api-keys:
                    - name: ops
                      roles: [admin]
                      key-env: SPINDLE_KEY_OPS
                    - name: web
                      roles: [producer, subscriber]
                      sha256: %s
                """.formatted(digest.toUpperCase()));

        assertThat(settings.security().apiKeys()).containsExactly(
                new Settings.ApiKey("ops", Set.of("admin"), SettingsLoader.sha256Hex(OPS_KEY)),
                new Settings.ApiKey("web", Set.of("producer", "subscriber"), digest));
        assertThat(settings.security().anonymous()).isFalse();
    }

    @Test
    void theKeyIsNeverKeptNorPrinted() {
        Settings settings = load("""
                security:
                  api-keys:
                    - name: ops
                      roles: admin
                      key-env: SPINDLE_KEY_OPS
                """);
        assertThat(settings.toString()).doesNotContain(OPS_KEY).doesNotContain(SettingsLoader.sha256Hex(OPS_KEY));
    }

    @Test
    void keysCanBeGivenAsEnvironmentVariablesTheHelidonWay() {
        Map<String, String> environment = EnvironmentVariables.expand(Map.of(
                "SECURITY_API_dash_KEYS_0_NAME", "ops",
                "SECURITY_API_dash_KEYS_0_ROLES", "admin,subscriber",
                "SECURITY_API_dash_KEYS_0_KEY_dash_ENV", "SPINDLE_KEY_OPS",
                "RATELIMIT_CLIENTS_PERMITS", "50",
                "RATELIMIT_CLIENTS_MAX_dash_STREAMS", "3"));
        Settings settings = SettingsLoader.load(Config.just(ConfigSources.create(environment)),
                                                name -> Optional.ofNullable(ENV.get(name)));

        assertThat(settings.security().apiKeys()).containsExactly(
                new Settings.ApiKey("ops", Set.of("admin", "subscriber"), SettingsLoader.sha256Hex(OPS_KEY)));
        assertThat(settings.clientLimits().permits()).isEqualTo(50);
        assertThat(settings.clientLimits().maxStreams()).isEqualTo(3);
    }

    @Test
    void noKeyOnANonLoopbackAddressNeedsAnonymousExplicitly() {
        InvalidSettingException e = refused("""
                server:
                  host: 0.0.0.0
                """);
        assertThat(e.key()).isEqualTo("security.anonymous");
        assertThat(e.getMessage()).contains("0.0.0.0", "security.api-keys", "SECURITY_ANONYMOUS=true")
                .doesNotContain("\n");

        assertThat(load("""
                server:
                  host: 0.0.0.0
                security:
                  anonymous: true
                """).security().anonymous()).isTrue();
    }

    @Test
    void aKeyMakesAnyAddressAcceptable() {
        Settings settings = load("""
                server:
                  host: 0.0.0.0
                security:
                  api-keys:
                    - name: ops
                      roles: [admin]
                      key-env: SPINDLE_KEY_OPS
                """);
        assertThat(settings.security().apiKeys()).hasSize(1);
    }

    @Test
    void loopbackNamesNeedNoKey() {
        for (String host : List.of("127.0.0.1", "localhost", "::1", "127.0.0.2")) {
            assertThat(load("server:\n  host: \"" + host + "\"\n").security().apiKeys()).as(host).isEmpty();
        }
    }

    @Test
    void anonymousWithKeysIsContradictory() {
        InvalidSettingException e = refused("""
                security:
                  anonymous: true
                  api-keys:
                    - name: ops
                      roles: [admin]
                      key-env: SPINDLE_KEY_OPS
                """);
        assertThat(e.key()).isEqualTo("security.anonymous");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            name: 'bad name'|roles: [admin]|key-env: SPINDLE_KEY_OPS|security.api-keys.0.name
            name: ops|roles: [root]|key-env: SPINDLE_KEY_OPS|security.api-keys.0.roles
            name: ops|roles: []|key-env: SPINDLE_KEY_OPS|security.api-keys.0.roles
            name: ops|roles: [admin]|key-env: MISSING_VARIABLE|security.api-keys.0.key-env
            name: ops|roles: [admin]|key-env: SHORT|security.api-keys.0.key-env
            name: ops|roles: [admin]|sha256: abc|security.api-keys.0.sha256
            name: ops|roles: [admin]|other: 1|security.api-keys.0
            """)
    void aBadKeyIsRefusedByItsKey(String name, String roles, String secret, String key) {
        InvalidSettingException e = refused("""
                security:
                  api-keys:
                    - %s
                      %s
                      %s
                """.formatted(name, roles, secret));
        assertThat(e).as("refused").isNotNull();
        assertThat(e.key()).isEqualTo(key);
        assertThat(e.getMessage()).doesNotContain("tooshort");
    }

    @Test
    void bothKeyEnvAndDigestIsRefused() {
        assertThat(refused("""
                security:
                  api-keys:
                    - name: ops
                      roles: [admin]
                      key-env: SPINDLE_KEY_OPS
                      sha256: %s
                """.formatted("a".repeat(64))).key()).isEqualTo("security.api-keys.0");
    }

    @Test
    void twoKeysWithOneNameOrOneSecretAreRefused() {
        assertThat(refused("""
                security:
                  api-keys:
                    - name: ops
                      roles: [admin]
                      key-env: SPINDLE_KEY_OPS
                    - name: ops
                      roles: [producer]
                      sha256: %s
                """.formatted("a".repeat(64))).key()).isEqualTo("security.api-keys.1.name");
        InvalidSettingException same = refused("""
                security:
                  api-keys:
                    - name: ops
                      roles: [admin]
                      key-env: SPINDLE_KEY_OPS
                    - name: ops2
                      roles: [producer]
                      sha256: %s
                """.formatted(SettingsLoader.sha256Hex(OPS_KEY)));
        assertThat(same.key()).isEqualTo("security.api-keys.1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ratelimit.clients.permits|0
            ratelimit.clients.permits|many
            ratelimit.clients.period|PT0.5S
            ratelimit.clients.period|PT1.5S
            ratelimit.clients.period|P2D
            ratelimit.clients.max-clients|1
            ratelimit.clients.idle-timeout|PT0S
            ratelimit.clients.max-streams|0
            ratelimit.clients.enabled|perhaps
            security.anonymous|yes
            """)
    void aBadLimitIsRefusedByItsKey(String key, String value) {
        Map<String, String> values = new HashMap<>();
        values.put(key, value);
        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class,
                () -> SettingsLoader.load(Config.just(ConfigSources.create(values))));
        assertThat(e).as("%s=%s refused", key, value).isNotNull();
        assertThat(e.key()).isEqualTo(key);
    }

    @Test
    void theIdleTimeoutIsNotShorterThanThePeriod() {
        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class,
                () -> SettingsLoader.load(Config.just(ConfigSources.create(Map.of(
                        "ratelimit.clients.period", "PT10S", "ratelimit.clients.idle-timeout", "PT5S")))));
        assertThat(e.key()).isEqualTo("ratelimit.clients.idle-timeout");
    }

    @Test
    void limitsCanBeSet() {
        Settings settings = SettingsLoader.load(Config.just(ConfigSources.create(Map.of(
                "ratelimit.clients.enabled", "false",
                "ratelimit.clients.permits", "1000",
                "ratelimit.clients.period", "PT10S",
                "ratelimit.clients.max-clients", "500",
                "ratelimit.clients.idle-timeout", "PT1M",
                "ratelimit.clients.max-streams", "2"))));
        assertThat(settings.clientLimits()).isEqualTo(new Settings.ClientLimits(
                false, 1000, Duration.ofSeconds(10), 500, Duration.ofMinutes(1), 2));
    }
}
