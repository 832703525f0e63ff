package io.spindle.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Base64;
import java.util.Map;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.EnvironmentVariables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code delivery.signing-secrets} (SPEC §10): {@code whsec_<base64>} secrets from an environment variable or a
 * YAML list; a bad one stops the start naming the key and the secret's place, never its value.
 */
class SigningSettingsTest {
    private static final String FIRST = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; // 24 bytes
    private static final String SECOND = "c2Vjb25kLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmZ2g="; // 32 bytes

    private static Settings fromEnvironment(String value) {
        Map<String, String> environment = EnvironmentVariables.expand(Map.of("DELIVERY_SIGNING_dash_SECRETS", value));
        return SettingsLoader.load(Config.just(ConfigSources.create(environment)));
    }

    private static Settings.SigningSecret secret(String base64) {
        return new Settings.SigningSecret(Base64.getDecoder().decode(base64));
    }

    @Test
    void byDefaultDeliveriesAreUnsigned() {
        assertThat(SettingsLoader.load(Config.empty()).delivery().signingSecrets()).isEmpty();
        assertThat(fromEnvironment(" ").delivery()).isEqualTo(Settings.Delivery.DEFAULTS);
    }

    @Test
    void secretsAreReadFromTheEnvironmentVariableInTheirOrder() {
        Settings settings = fromEnvironment("whsec_" + FIRST + " , whsec_" + SECOND);

        assertThat(settings.delivery().signingSecrets()).containsExactly(secret(FIRST), secret(SECOND));
        assertThat(settings.delivery().signingSecrets().getFirst().key()).hasSize(24);
    }

    @Test
    void secretsCanBeAYamlList() {
        Settings settings = SettingsLoader.load(Config.just(ConfigSources.create("""
                delivery:
                  signing-secrets:
                    - whsec_%s
                    - whsec_%s
                """.formatted(SECOND, FIRST), MediaTypes.APPLICATION_X_YAML)));

        assertThat(settings.delivery().signingSecrets()).containsExactly(secret(SECOND), secret(FIRST));
    }

    @Test
    void theSecretIsNeverPrinted() {
        Settings settings = fromEnvironment("whsec_" + FIRST);

        assertThat(settings.toString()).doesNotContain(FIRST).contains("SigningSecret[24 bytes]");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw|secret 1 of 1 must start with whsec_
            WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw|secret 1 of 1 must start with whsec_
            whsec_|secret 1 of 1 must decode to 24 to 64 bytes, got 0
            whsec_MfKQ9r8G-KYqrTwjUPD8ILPZIo2LaLaSw|secret 1 of 1 is not base64 after whsec_
            whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw%%|secret 1 of 1 is not base64 after whsec_
            whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=|secret 1 of 1 is not base64 after whsec_
            whsec_c2hvcnQ=|secret 1 of 1 must decode to 24 to 64 bytes, got 5
            whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,|secret 2 of 2 is empty
            whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,,whsec_c2Vjb25kLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmZ2g=|secret 2 of 3 is empty
            whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw|secret 2 of 2 is the same as secret 1
            """)
    void aBadSecretStopsTheStartNamingTheKeyNotTheSecret(String value, String problem) {
        InvalidSettingException e = catchThrowableOfType(InvalidSettingException.class, () -> fromEnvironment(value));

        assertThat(e).as("%s refused", value).isNotNull();
        assertThat(e.key()).isEqualTo("delivery.signing-secrets");
        assertThat(e.getMessage()).startsWith("invalid configuration 'delivery.signing-secrets': ").contains(problem)
                .doesNotContain("MfKQ9r8G").doesNotContain("c2hvcnQ").doesNotContain("c2Vjb25k");
        assertThat(e.getMessage().lines()).hasSize(1);
    }

    @Test
    void aSecretOfSixtyFourBytesIsTheLongestAccepted() {
        byte[] bytes = new byte[65];
        new java.util.Random(7).nextBytes(bytes);
        String longest = Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(bytes, 64));
        String tooLong = Base64.getEncoder().encodeToString(bytes);

        assertThat(fromEnvironment("whsec_" + longest).delivery().signingSecrets()).hasSize(1);
        assertThat(catchThrowableOfType(InvalidSettingException.class, () -> fromEnvironment("whsec_" + tooLong)))
                .hasMessageContaining("got 65");
    }
}
