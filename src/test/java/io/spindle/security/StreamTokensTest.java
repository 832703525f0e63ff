package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;

import io.spindle.config.Settings;
import io.spindle.config.SettingsLoader;
import org.junit.jupiter.api.Test;

/** Stream tokens: signed by the key's digest, expiring, useless when altered or when the key is gone. */
class StreamTokensTest {
    static final Instant NOW = Instant.parse("2026-12-07T01:00:00Z");

    private static ApiKeys keys(String... names) {
        return ApiKeys.of(new Settings.Security(false, java.util.Arrays.stream(names)
                .map(n -> new Settings.ApiKey(n, Set.of("subscriber"), SettingsLoader.sha256Hex("secret-of-" + n))).toList()));
    }

    private static StreamTokens at(ApiKeys keys, Instant now) {
        return new StreamTokens(keys, Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void aTokenNamesItsKeyAndRolesUntilItExpires() {
        ApiKeys keys = keys("reader");
        StreamTokens.Minted minted = at(keys, NOW).mint("reader");
        assertThat(minted.expiresAt()).isEqualTo(NOW.plus(StreamTokens.LIFETIME));
        assertThat(minted.token()).doesNotContain("secret-of-reader");
        assertThat(at(keys, NOW.plusSeconds(299)).verify(minted.token()))
                .contains(new ApiKeys.Result.Accepted("reader", Set.of(Role.SUBSCRIBER)));
        assertThat(at(keys, NOW.plus(StreamTokens.LIFETIME)).verify(minted.token())).as("expired").isEmpty();
    }

    @Test
    void anAlteredTokenOrOneOfAKeyNoLongerConfiguredIsRefused() {
        ApiKeys keys = keys("reader", "other");
        String token = at(keys, NOW).mint("reader").token();
        String[] parts = token.split("\\.");
        String later = parts[0] + "." + parts[1] + "." + (Long.parseLong(parts[2]) + 3600) + "." + parts[3];
        String otherName = parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("other".getBytes())
                           + "." + parts[2] + "." + parts[3];
        StreamTokens tokens = at(keys, NOW);
        for (String bad : List.of(later, otherName, token + "x", token.substring(0, token.length() - 2), "st1.a.b.c", "", "st1.",
                                  "x".repeat(600))) {
            assertThat(tokens.verify(bad)).as(bad).isEmpty();
        }
        assertThat(at(keys("other"), NOW).verify(token)).as("the key was removed").isEmpty();
        assertThat(tokens.verify(null)).isEmpty();
        assertThat(Duration.between(NOW, at(keys, NOW).mint("other").expiresAt())).isEqualTo(StreamTokens.LIFETIME);
    }
}
