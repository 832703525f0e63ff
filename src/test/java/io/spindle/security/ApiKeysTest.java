package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import io.spindle.config.Settings;
import io.spindle.config.SettingsLoader;
import org.junit.jupiter.api.Test;

class ApiKeysTest {
    private static final String OPS = "ops-0123456789abcdef";
    private static final String WEB = "web-0123456789abcdef";
    private final ApiKeys keys = ApiKeys.of(new Settings.Security(false, List.of(
            new Settings.ApiKey("ops", Set.of("admin"), SettingsLoader.sha256Hex(OPS)),
            new Settings.ApiKey("web", Set.of("producer", "subscriber"), SettingsLoader.sha256Hex(WEB)))));

    @Test
    void aKnownBearerTokenNamesItsKeyAndRoles() {
        assertThat(keys.authenticate(List.of("Bearer " + OPS)))
                .isEqualTo(new ApiKeys.Result.Accepted("ops", Set.of(Role.ADMIN)));
        assertThat(keys.authenticate(List.of("bearer " + WEB)))
                .isEqualTo(new ApiKeys.Result.Accepted("web", Set.of(Role.PRODUCER, Role.SUBSCRIBER)));
    }

    @Test
    void everythingElseIsRefusedWithAReasonThatHoldsNoSecret() {
        for (List<String> header : List.of(List.<String>of(), List.of(""), List.of("Bearer"), List.of("Bearer "),
                                           List.of("Basic b3BzOnBhc3M="), List.of(OPS), List.of("Bearer " + OPS + "x"),
                                           List.of("Bearer " + OPS.substring(1)), List.of("Bearer " + OPS, "Bearer " + OPS),
                                           List.of("Bearer \u00e9\u0000"))) {
            ApiKeys.Result result = keys.authenticate(header);
            assertThat(result).as("%s", header).isInstanceOf(ApiKeys.Result.Refused.class);
            assertThat(((ApiKeys.Result.Refused) result).reason()).doesNotContain(OPS).doesNotContain("0123");
        }
    }

    @Test
    void onlyAnUnknownTokenIsAnInvalidToken() {
        assertThat(((ApiKeys.Result.Refused) keys.authenticate(List.of("Bearer nope-nope-nope-nope"))).invalidToken()).isTrue();
        assertThat(((ApiKeys.Result.Refused) keys.authenticate(List.of())).invalidToken()).isFalse();
    }

    @Test
    void noKeysMeansAnonymous() {
        assertThat(ApiKeys.of(Settings.Security.DEFAULTS).isEmpty()).isTrue();
        assertThat(keys.isEmpty()).isFalse();
    }
}
