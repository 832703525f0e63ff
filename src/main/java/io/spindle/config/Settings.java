package io.spindle.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything Spindle is configured with, validated once by {@link SettingsLoader}.
 */
public record Settings(Server server, Db db, Shutdown shutdown, Health health, Dispatch dispatch, Enqueue enqueue,
                       Bus bus) {

    /** The given parts with the documented defaults for dispatch and enqueue. */
    public Settings(Server server, Db db, Shutdown shutdown, Health health) {
        this(server, db, shutdown, health, Dispatch.DEFAULTS, Enqueue.DEFAULTS);
    }

    /** The given parts with the documented defaults for the topic bus. */
    public Settings(Server server, Db db, Shutdown shutdown, Health health, Dispatch dispatch, Enqueue enqueue) {
        this(server, db, shutdown, health, dispatch, enqueue, Bus.DEFAULTS);
    }

    public Settings withBus(Bus bus) {
        return new Settings(server, db, shutdown, health, dispatch, enqueue, bus);
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
        public static final Enqueue DEFAULTS = new Enqueue(2, 10_000, 10_000);
    }

    /**
     * The topic bus: each subscriber's queue ({@code subscriberCapacity} events; a full one loses its oldest),
     * each topic's replay ring ({@code replaySize} events), at most {@code maxTopics} topics and
     * {@code maxSubscribers} subscriptions on this instance, an SSE comment at least every {@code keepAlive}, how
     * long a topic with no subscriber is kept ({@code topicTtl}) before it is forgotten, and how often at most an
     * SSE stream writes ({@code flushInterval}; events that arrive meanwhile go out together, zero writes each
     * event at once).
     */
    public record Bus(int subscriberCapacity, int replaySize, int maxTopics, int maxSubscribers, Duration keepAlive,
                      Duration topicTtl, Duration flushInterval) {
        public static final Bus DEFAULTS = new Bus(256, 1000, 10_000, 10_000, Duration.ofSeconds(15), Duration.ofMinutes(5),
                                                   Duration.ofMillis(5));
    }
}
