package io.spindle.security;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a key may do (SPEC §6): {@code admin} everything; {@code producer} enqueue, read, cancel and retry
 * tasks and publish events; {@code subscriber} read tasks and queues and subscribe.
 */
public enum Role {
    ADMIN, PRODUCER, SUBSCRIBER;

    static final Set<Role> ALL = Set.copyOf(EnumSet.allOf(Role.class));

    /** The role a configuration names ({@code admin}, {@code producer}, {@code subscriber}). */
    public static Role parse(String name) {
        return valueOf(name.strip().toUpperCase(Locale.ROOT));
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
