package io.spindle.security;

import java.util.Optional;
import java.util.Set;

/**
 * Who sent a request, as rate limits, audit lines and metrics name it: {@code key:<name>} for an API key,
 * {@code addr:<remote address>} for anonymous access and for requests whose key was missing or wrong; and the
 * roles it holds (none when it failed to authenticate).
 */
public record Client(String id, Set<Role> roles) {
    private static final String KEY = "key:";

    public Client {
        roles = Set.copyOf(roles);
    }

    /** The name of the API key that authenticated this client; empty for an anonymous one. */
    public Optional<String> keyName() {
        return id.startsWith(KEY) ? Optional.of(id.substring(KEY.length())) : Optional.empty();
    }

    public static Client key(String name, Set<Role> roles) {
        return new Client(KEY + name, roles);
    }

    /** Anyone who can reach the service, when no key is configured: every role. */
    public static Client anonymous(String address) {
        return new Client("addr:" + address, Role.ALL);
    }

    /** A request whose key was missing or unknown: limited by its address, allowed nothing. */
    public static Client unauthenticated(String address) {
        return new Client("addr:" + address, Set.of());
    }
}
