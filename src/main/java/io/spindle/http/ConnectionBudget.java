package io.spindle.http;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.OptionalLong;

import com.sun.management.UnixOperatingSystemMXBean;

/**
 * How many HTTP connections may be open at once. Every connection is a file descriptor, and a listener whose
 * accept fails for want of one stops for good (Helidon 4.5), so the bound leaves the process's other descriptors
 * room: those open at start (jars, logs), the pool, the LISTEN connection, one backend connection per worker,
 * and a margin of 5 % of the limit for the connections over the bound, which are accepted before they can be
 * refused and hold a descriptor until they are closed.
 *
 * <p>Under a flood those refusals can pile up faster than their threads close them (the accept loop is one
 * thread, the closing is each connection's own); {@code acceptLimit}, Helidon's {@code max-tcp-connections},
 * is the backstop: at the bound plus the margin the listener stops accepting (connections wait in the kernel's
 * backlog) instead of failing an accept, which would end it for good.
 *
 * @param limit       the process's descriptor limit, or -1 when unknown (not a Unix JVM)
 * @param reserved    descriptors kept for everything but HTTP connections within the bound
 * @param max         the bound: most HTTP connections open at once; one more is closed at once
 * @param acceptLimit most connections accepted and not yet closed, refused ones included
 * @param computed    false when {@code server.connections.max} set the bound
 */
public record ConnectionBudget(long limit, long reserved, int max, int acceptLimit, boolean computed) {
    /** Never fewer than this, however low the limit: a service that serves nobody is no safer. */
    static final int FLOOR = 16;
    /** The bound on a JVM that cannot tell its descriptor limit. */
    static final int UNKNOWN_LIMIT_MAX = 10_000;

    /** What the rest of the process needs beside HTTP connections. */
    public record Needs(long openAtStart, int pool, int listenConnections, int backendConnections) {
    }

    /**
     * @param configured {@code server.connections.max}; 0 means compute it
     * @param limit      the descriptor limit, empty when unknown
     */
    public static ConnectionBudget compute(int configured, OptionalLong limit, Needs needs) {
        long fds = limit.orElse(-1);
        long margin = fds < 0 ? 0 : Math.ceilDiv(fds * 5, 100);
        long reserved = fds < 0 ? 0 : needs.openAtStart() + needs.pool() + needs.listenConnections()
                + needs.backendConnections() + margin;
        if (configured > 0) {
            return of(fds, reserved, configured, margin, false);
        }
        if (fds < 0) {
            return of(fds, reserved, UNKNOWN_LIMIT_MAX, margin, true);
        }
        return of(fds, reserved, (int) Math.min(Integer.MAX_VALUE / 2, Math.max(FLOOR, fds - reserved)), margin, true);
    }

    /** A bound set as is, with the backstop a twentieth above it (servers built by tests). */
    public static ConnectionBudget fixed(int max) {
        return of(-1, 0, max, 0, false);
    }

    private static ConnectionBudget of(long limit, long reserved, int max, long margin, boolean computed) {
        int over = (int) Math.max(FLOOR, Math.max(margin, max / 20));
        return new ConnectionBudget(limit, reserved, max, max + over, computed);
    }

    /** The budget of this process now: its descriptor limit, and the descriptors it has open. */
    public static ConnectionBudget ofThisProcess(int configured, int pool, int listenConnections, int backendConnections) {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof UnixOperatingSystemMXBean unix) {
            return compute(configured, OptionalLong.of(unix.getMaxFileDescriptorCount()),
                           new Needs(unix.getOpenFileDescriptorCount(), pool, listenConnections, backendConnections));
        }
        return compute(configured, OptionalLong.empty(), new Needs(0, pool, listenConnections, backendConnections));
    }

    /** The start-up log line. */
    public String describe() {
        String source = computed ? "computed" : "set by server.connections.max";
        return "HTTP connections: at most " + max + " (" + source + "; descriptor limit "
                + (limit < 0 ? "unknown" : limit) + ", reserved " + reserved + "); accepts pause at " + acceptLimit;
    }
}
