package io.spindle.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything Spindle is configured with, validated once by {@link SettingsLoader}.
 */
public record Settings(Server server, Db db, Shutdown shutdown, Health health, Dispatch dispatch, Enqueue enqueue,
                       Security security, ClientLimits clientLimits, Bus bus) {

    /** The given parts with the documented defaults for dispatch and enqueue. */
    public Settings(Server server, Db db, Shutdown shutdown, Health health) {
        this(server, db, shutdown, health, Dispatch.DEFAULTS, Enqueue.DEFAULTS);
    }

    /** The given parts with the documented defaults for security (no key: anonymous) and client limits. */
    public Settings(Server server, Db db, Shutdown shutdown, Health health, Dispatch dispatch, Enqueue enqueue) {
        this(server, db, shutdown, health, dispatch, enqueue, Security.DEFAULTS, ClientLimits.DEFAULTS);
    }

    /** The given parts with the documented defaults for the topic bus. */
    public Settings(Server server, Db db, Shutdown shutdown, Health health, Dispatch dispatch, Enqueue enqueue,
                    Security security, ClientLimits clientLimits) {
        this(server, db, shutdown, health, dispatch, enqueue, security, clientLimits, Bus.DEFAULTS);
    }

    public Settings withSecurity(Security security) {
        return new Settings(server, db, shutdown, health, dispatch, enqueue, security, clientLimits, bus);
    }

    public Settings withClientLimits(ClientLimits clientLimits) {
        return new Settings(server, db, shutdown, health, dispatch, enqueue, security, clientLimits, bus);
    }

    public Settings withBus(Bus bus) {
        return new Settings(server, db, shutdown, health, dispatch, enqueue, security, clientLimits, bus);
    }

    /** The HTTP listener. */
    public record Server(String host, int port, long maxPayload) {
    }

    /** PostgreSQL: an external server when {@code url} is present, else the embedded one. */
    public record Db(Optional<String> url, String username, String password, Pool pool, Embedded embedded) {
    }

    /** HikariCP pool bounds and timeouts. */
    public record Pool(int maxSize,
                       int minIdle,
                       Duration acquireTimeout,
                       Duration idleTimeout,
                       Duration maxLifetime,
                       Duration socketTimeout) {
    }

    /** The embedded PostgreSQL used when no {@code db.url} is set. */
    public record Embedded(Path dataDir, int port) {
    }

    /** How long in-flight work may run on after shutdown begins. */
    public record Shutdown(Duration grace) {
    }

    /** How long readiness waits for the database before it reports DOWN. */
    public record Health(Duration dbTimeout) {
    }

    /**
     * Running tasks: how many at once on this instance, how many a claim may take, how long a lease outlives
     * the handler's timeout, the safety-net poll, the cool-down of a failing backend, and how often finished
     * tasks past retention are deleted.
     */
    public record Dispatch(int maxConcurrent,
                           int maxClaim,
                           Duration leaseMargin,
                           Duration pollInterval,
                           Duration backendCooldown,
                           Duration sweepInterval) {
        public static final Dispatch DEFAULTS = new Dispatch(
                64, 200, Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(1));
    }

    /** Group commit of enqueues, and the bound on long-polling requests. */
    public record Enqueue(int writers, int backlog, int maxWaiters) {
        public static final Enqueue DEFAULTS = new Enqueue(4, 10_000, 10_000);
    }

    /**
     * API keys ({@code security.api-keys}) and whether anonymous access may be served off loopback
     * ({@code security.anonymous}). With no key, every client is anonymous.
     */
    public record Security(boolean anonymous, List<ApiKey> apiKeys) {
        public static final Security DEFAULTS = new Security(false, List.of());

        public Security {
            apiKeys = List.copyOf(apiKeys);
        }
    }

    /**
     * One API key: its name (what logs, metrics and rate limits call the client), its roles
     * ({@code admin}, {@code producer}, {@code subscriber}), and the lowercase hex SHA-256 of the key. The key
     * itself is never kept.
     */
    public record ApiKey(String name, Set<String> roles, String sha256) {
        public ApiKey {
            roles = Set.copyOf(roles);
        }

        @Override
        public String toString() {
            return "ApiKey[name=" + name + ", roles=" + roles + "]";
        }
    }

    /**
     * Per-client rate limits ({@code ratelimit.clients}): {@code permits} per {@code period} for each client,
     * at most {@code maxClients} limiters in memory (idle ones evicted after {@code idleTimeout}), and at most
     * {@code maxStreams} open SSE streams per client.
     */
    public record ClientLimits(boolean enabled, int permits, Duration period, int maxClients, Duration idleTimeout,
                               int maxStreams) {
        public static final ClientLimits DEFAULTS = new ClientLimits(
                true, 100_000, Duration.ofSeconds(1), 10_000, Duration.ofMinutes(5), 10);
    }

    /**
     * The topic bus: each subscriber's queue ({@code subscriberCapacity} events and {@code subscriberBytes}; a full
     * one loses its oldest), each topic's replay ring ({@code replaySize} events; all rings together at most
     * {@code replayBytes}), at most {@code maxTopics} topics and {@code maxSubscribers} subscriptions on this
     * instance, an SSE comment at least every {@code keepAlive}, how long a topic with no subscriber is kept
     * ({@code topicTtl}) before it is forgotten, and how often at most an SSE stream writes
     * ({@code flushInterval}; events that arrive meanwhile go out together, zero writes each event at once).
     */
    public record Bus(int subscriberCapacity, long subscriberBytes, int replaySize, long replayBytes, int maxTopics,
                      int maxSubscribers, Duration keepAlive, Duration topicTtl, Duration flushInterval) {
        public static final Bus DEFAULTS = new Bus(256, 1L << 20, 1000, 64L << 20, 10_000, 10_000, Duration.ofSeconds(15),
                                                   Duration.ofMinutes(5), Duration.ofMillis(10));
    }
}
