package io.spindle.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import io.spindle.config.Settings;

/**
 * The configured API keys, held only as SHA-256 digests. A presented bearer token is hashed and compared with
 * every digest by {@link MessageDigest#isEqual}, with no early exit, so the time taken says nothing about how
 * close a guess came or which key it matched. Nothing here logs or keeps the token.
 */
public final class ApiKeys {
    private static final String BEARER = "bearer ";

    private record Key(String name, Set<Role> roles, byte[] digest) {
    }

    /** The outcome of reading a request's {@code Authorization} header. */
    public sealed interface Result {
        /** The key's name and roles. */
        record Accepted(String name, Set<Role> roles) implements Result {
        }

        /** No key, a malformed header or an unknown key; {@code reason} is fit for a log line (it holds no secret). */
        record Refused(String reason, boolean invalidToken) implements Result {
        }
    }

    private final List<Key> keys;

    private ApiKeys(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    public static ApiKeys of(Settings.Security security) {
        List<Key> keys = new ArrayList<>();
        for (Settings.ApiKey key : security.apiKeys()) {
            Set<Role> roles = key.roles().stream().map(Role::parse).collect(Collectors.toUnmodifiableSet());
            keys.add(new Key(key.name(), roles, HexFormat.of().parseHex(key.sha256())));
        }
        return new ApiKeys(keys);
    }

    /** No key configured: access is anonymous. */
    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /**
     * @param authorization every value of the request's {@code Authorization} header
     */
    public Result authenticate(List<String> authorization) {
        if (authorization.isEmpty()) {
            return new Result.Refused("no bearer token", false);
        }
        if (authorization.size() > 1) {
            return new Result.Refused("more than one Authorization header", false);
        }
        String value = authorization.getFirst();
        if (value.length() <= BEARER.length() || !value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return new Result.Refused("Authorization is not a bearer token", false);
        }
        String token = value.substring(BEARER.length()).strip();
        byte[] presented = sha256(token.getBytes(StandardCharsets.UTF_8));
        Key matched = null;
        for (Key key : keys) {
            // every digest is compared, whichever matches
            if (MessageDigest.isEqual(key.digest(), presented)) {
                matched = key;
            }
        }
        return matched == null
                ? new Result.Refused("unknown key", true)
                : new Result.Accepted(matched.name(), matched.roles());
    }

    /** The digest of the key of this name: what signs its stream tokens. */
    Optional<byte[]> digest(String name) {
        return keys.stream().filter(k -> k.name().equals(name)).findFirst().map(k -> k.digest().clone());
    }

    Optional<Result.Accepted> accepted(String name) {
        return keys.stream().filter(k -> k.name().equals(name)).findFirst()
                .map(k -> new Result.Accepted(k.name(), k.roles()));
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
