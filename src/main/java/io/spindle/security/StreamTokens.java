package io.spindle.security;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived tokens that open event streams from a browser, whose {@code EventSource} cannot send an
 * {@code Authorization} header: an authenticated client asks for one and passes it as the {@code access_token}
 * query parameter of a stream's URL. A token names its key and its expiry and is signed with HMAC-SHA256 under
 * that key's digest, so any instance configured with the key accepts it (no shared state), it stops working
 * when it expires or the key is removed, and it carries the key's roles no further than opening a stream.
 */
public final class StreamTokens {
    /** How long a token opens streams; an open stream outlives it (the token is checked when a stream opens). */
    public static final Duration LIFETIME = Duration.ofMinutes(5);
    private static final String PREFIX = "st1.";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    /** A minted token and when it stops opening streams. */
    public record Minted(String token, Instant expiresAt) {
    }

    private final ApiKeys keys;
    private final Clock clock;

    public StreamTokens(ApiKeys keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /** A token for the key of this name, which the caller has just authenticated. */
    public Minted mint(String keyName) {
        byte[] digest = keys.digest(keyName).orElseThrow(() -> new IllegalArgumentException("no key " + keyName));
        Instant expires = clock.instant().plus(LIFETIME).truncatedTo(ChronoUnit.SECONDS);
        String claims = ENCODER.encodeToString(keyName.getBytes(StandardCharsets.UTF_8)) + "." + expires.getEpochSecond();
        return new Minted(PREFIX + claims + "." + ENCODER.encodeToString(sign(digest, claims)), expires);
    }

    /** The key a token was minted for, if the token is well formed, signed by that key and not expired. */
    public Optional<ApiKeys.Result.Accepted> verify(String token) {
        if (token == null || token.length() > 512 || !token.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] parts = token.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            String name = new String(DECODER.decode(parts[0]), StandardCharsets.UTF_8);
            long expires = Long.parseLong(parts[1]);
            byte[] presented = DECODER.decode(parts[2]);
            Optional<byte[]> digest = keys.digest(name);
            if (digest.isEmpty() || clock.instant().getEpochSecond() >= expires) {
                return Optional.empty();
            }
            byte[] expected = sign(digest.get(), parts[0] + "." + parts[1]);
            return MessageDigest.isEqual(expected, presented) ? keys.accepted(name) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // bad base64 or number: NumberFormatException is one too
        }
    }

    private static byte[] sign(byte[] key, String claims) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update("spindle-stream-token|".getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(claims.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is missing from this JVM", e);
        }
    }
}
