package io.spindle.config;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Everything Spindle is configured with, validated once by {@link SettingsLoader}. Each part states its keys
 * once, in a table of {@link Key} constants beside its record: name, default, range and a one-line doc. A
 * part's keys share one prefix, and each key ends in its record component's name ({@code maxConcurrent} ↔
 * {@code dispatch.max-concurrent}).
 */
public record Settings(Server server, Connections connections, Db db, Shutdown shutdown, Health health,
                       Dispatch dispatch, Enqueue enqueue, Security security, ClientLimits clientLimits, Bus bus,
                       Listener listener, Observe observe, Delivery delivery, Maintenance maintenance,
                       Schedules schedules) {

    /** Every key of every part, in the order the documentation lists them. */
    public static final List<Key<?>> KEYS = Stream.of(
            Server.KEYS, Connections.KEYS, Db.KEYS, Pool.KEYS, Embedded.KEYS, Listener.KEYS, Shutdown.KEYS, Health.KEYS,
            Observe.KEYS, Dispatch.KEYS, Delivery.KEYS, Maintenance.KEYS, Schedules.KEYS, Enqueue.KEYS, Bus.KEYS,
            Security.KEYS, ClientLimits.KEYS).flatMap(List::stream).toList();

    /** The HTTP listener. */
    public record Server(String host, int port, long maxPayload) {
        public static final Key<String> HOST = Key.text("server.host", "127.0.0.1",
                "address to listen on; 0.0.0.0 for all interfaces (then API keys or security.anonymous are needed)");
        public static final Key<Integer> PORT = Key.integer("server.port", 8080, 0, 65535,
                "HTTP port; 0 picks a free one");
        public static final Key<Long> MAX_PAYLOAD = Key.bytes("server.max-payload", 1L << 20, 1024, 64L << 20,
                "largest request body in bytes; a larger one gets 413");
        public static final List<Key<?>> KEYS = List.of(HOST, PORT, MAX_PAYLOAD);

        static Server from(Key.Values values) {
            return new Server(values.get(HOST), values.get(PORT), values.get(MAX_PAYLOAD));
        }
    }

    /**
     * What one client may hold of the HTTP listener: open connections in total and per remote address, and how
     * long a connection may take to send its headers and body or sit idle between requests (docs/security.md).
     */
    public record Connections(int max, int perClient, Duration headerTimeout, long minBodyRate, Duration idleTimeout) {
        public static final Key<Integer> MAX = Key.integer("server.connections.max", 0, 0, 1_000_000,
                "most open HTTP connections; 0 computes it at start from the process's file descriptor limit, less "
                + "what the pool, the listener, the backends and the files need (logged); one more is closed at once");
        public static final Key<Integer> PER_CLIENT = Key.integer("server.connections.per-client", 256, 1, 1_000_000,
                "most open HTTP connections from one remote address; one more is closed at once");
        public static final Key<Duration> HEADER_TIMEOUT = Key.duration("server.connections.header-timeout",
                Duration.ofSeconds(10), Duration.ofMillis(100), Duration.ofMinutes(10),
                "a request's line and headers must arrive within this of its first byte (or of the connection); "
                + "else 408 and the connection is closed");
        public static final Key<Long> MIN_BODY_RATE = Key.bytes("server.connections.min-body-rate", 1024, 1, 1L << 30,
                "bytes per second a request body must arrive at, after a first server.connections.header-timeout; "
                + "else 408 and the connection is closed");
        public static final Key<Duration> IDLE_TIMEOUT = Key.duration("server.connections.idle-timeout",
                Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofDays(1),
                "a kept-alive connection with no request for this long is closed (event streams and long-polls are "
                + "not idle)");
        public static final List<Key<?>> KEYS = List.of(MAX, PER_CLIENT, HEADER_TIMEOUT, MIN_BODY_RATE, IDLE_TIMEOUT);
        public static final Connections DEFAULTS = from(Key.DEFAULTS);

        static Connections from(Key.Values values) {
            return new Connections(values.get(MAX), values.get(PER_CLIENT), values.get(HEADER_TIMEOUT),
                                   values.get(MIN_BODY_RATE), values.get(IDLE_TIMEOUT));
        }
    }

    /** PostgreSQL: an external server when {@code url} is present, else the embedded one. */
    public record Db(Optional<String> url, String username, String password, Pool pool, Embedded embedded) {
        public static final Key<Optional<String>> URL = Key.jdbcUrl("db.url",
                "JDBC URL of the PostgreSQL to use; unset means the embedded PostgreSQL");
        public static final Key<String> USERNAME = Key.text("db.username", "postgres", "database user (with db.url)");
        public static final Key<String> PASSWORD = Key.secret("db.password", "database password (with db.url)");
        public static final List<Key<?>> KEYS = List.of(URL, USERNAME, PASSWORD);
    }

    /** HikariCP pool bounds and timeouts. */
    public record Pool(int maxSize,
                       int minIdle,
                       Duration acquireTimeout,
                       Duration idleTimeout,
                       Duration maxLifetime,
                       Duration socketTimeout) {
        public static final Key<Integer> MAX_SIZE = Key.integer("db.pool.max-size", 20, 1, 1000,
                "most connections in the pool");
        public static final Key<Integer> MIN_IDLE = Key.integer("db.pool.min-idle", 5, 0, 1000,
                "idle connections kept open; not more than db.pool.max-size");
        public static final Key<Duration> ACQUIRE_TIMEOUT = Key.duration("db.pool.acquire-timeout",
                Duration.ofSeconds(3), Duration.ofMillis(250), Duration.ofMinutes(1),
                "longest wait for a connection; then the request gets 503 with Retry-After");
        public static final Key<Duration> IDLE_TIMEOUT = Key.duration("db.pool.idle-timeout",
                Duration.ofSeconds(600), Duration.ofSeconds(10), Duration.ofDays(1),
                "an idle connection above db.pool.min-idle is closed after this");
        public static final Key<Duration> MAX_LIFETIME = Key.duration("db.pool.max-lifetime",
                Duration.ofSeconds(1800), Duration.ofSeconds(30), Duration.ofDays(1),
                "a connection is replaced after this");
        public static final Key<Duration> SOCKET_TIMEOUT = Key.duration("db.pool.socket-timeout",
                Duration.ofSeconds(15), Duration.ofSeconds(1), Duration.ofHours(1),
                "a statement whose server stopped answering fails after this, then 503");
        public static final List<Key<?>> KEYS = List.of(
                MAX_SIZE, MIN_IDLE, ACQUIRE_TIMEOUT, IDLE_TIMEOUT, MAX_LIFETIME, SOCKET_TIMEOUT);

        static Pool from(Key.Values values) {
            return new Pool(values.get(MAX_SIZE), values.get(MIN_IDLE), values.get(ACQUIRE_TIMEOUT),
                            values.get(IDLE_TIMEOUT), values.get(MAX_LIFETIME), values.get(SOCKET_TIMEOUT));
        }
    }

    /** The embedded PostgreSQL used when no {@code db.url} is set. */
    public record Embedded(Path dataDir, int port) {
        public static final Key<String> DATA_DIR = Key.text("db.embedded.data-dir", "data/postgres",
                "where the embedded PostgreSQL keeps its data (without db.url)");
        public static final Key<Integer> PORT = Key.integer("db.embedded.port", 0, 0, 65535,
                "the embedded PostgreSQL's port; 0 picks a free one");
        public static final List<Key<?>> KEYS = List.of(DATA_DIR, PORT);

        static Embedded from(Key.Values values) {
            return new Embedded(Path.of(values.get(DATA_DIR)), values.get(PORT));
        }
    }

    /** The connection that LISTENs for other instances' notifications. */
    public record Listener(Duration reconnectDelay) {
        public static final Key<Duration> RECONNECT_DELAY = Key.duration("db.listener.reconnect-delay",
                Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMinutes(1),
                "pause between attempts to reconnect the notification listener after its connection is lost");
        public static final List<Key<?>> KEYS = List.of(RECONNECT_DELAY);
        public static final Listener DEFAULTS = from(Key.DEFAULTS);

        static Listener from(Key.Values values) {
            return new Listener(values.get(RECONNECT_DELAY));
        }
    }

    /**
     * How long in-flight work may run on after shutdown begins, and how long each other part may take to
     * close before shutdown goes on without it.
     */
    public record Shutdown(Duration grace, Duration stepTimeout) {
        public static final Key<Duration> GRACE = Key.duration("shutdown.grace",
                Duration.ofSeconds(30), Duration.ZERO, Duration.ofMinutes(10),
                "how long requests in flight and running tasks may finish after SIGTERM");
        public static final Key<Duration> STEP_TIMEOUT = Key.duration("shutdown.step-timeout",
                Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMinutes(5),
                "how long each shutdown step without a deadline of its own may take; then shutdown logs it and "
                + "goes on");
        public static final List<Key<?>> KEYS = List.of(GRACE, STEP_TIMEOUT);

        static Shutdown from(Key.Values values) {
            return new Shutdown(values.get(GRACE), values.get(STEP_TIMEOUT));
        }
    }

    /** How long readiness waits for the database before it reports DOWN. */
    public record Health(Duration dbTimeout) {
        public static final Key<Duration> DB_TIMEOUT = Key.duration("health.db-timeout",
                Duration.ofSeconds(1), Duration.ofMillis(50), Duration.ofSeconds(30),
                "readiness is DOWN when the database does not answer within this");
        public static final List<Key<?>> KEYS = List.of(DB_TIMEOUT);

        static Health from(Key.Values values) {
            return new Health(values.get(DB_TIMEOUT));
        }
    }

    /** How often the queue depth gauges are read from the database. */
    public record Observe(Duration queueDepthInterval) {
        public static final Key<Duration> QUEUE_DEPTH_INTERVAL = Key.duration("observe.queue-depth-interval",
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(1),
                "how often the queue depth gauges (tasks per queue and state) are read from the database");
        public static final List<Key<?>> KEYS = List.of(QUEUE_DEPTH_INTERVAL);
        public static final Observe DEFAULTS = from(Key.DEFAULTS);

        static Observe from(Key.Values values) {
            return new Observe(values.get(QUEUE_DEPTH_INTERVAL));
        }
    }

    /**
     * Running tasks: how many at once on this instance, how many a claim may take, how long a lease outlives
     * the handler's timeout, the safety-net poll, the cool-down of a failing backend, how often finished
     * tasks past retention are deleted, and how many results per worker may wait to be written.
     */
    public record Dispatch(int maxConcurrent,
                           int maxClaim,
                           Duration leaseMargin,
                           Duration pollInterval,
                           Duration backendCooldown,
                           Duration sweepInterval,
                           int completionsPerWorker) {
        public static final Key<Integer> MAX_CONCURRENT = Key.integer("dispatch.max-concurrent", 64, 1, 10_000,
                "tasks running at once on this instance, over all queues").formerly("worker.max-concurrent");
        public static final Key<Integer> MAX_CLAIM = Key.integer("dispatch.max-claim", 200, 1, 10_000,
                "most tasks one claim statement takes");
        public static final Key<Duration> LEASE_MARGIN = Key.duration("dispatch.lease-margin",
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(1),
                "a running task's lease lasts its handler timeout plus this; every instance rescues expired leases "
                + "this often");
        public static final Key<Duration> POLL_INTERVAL = Key.duration("dispatch.poll-interval",
                Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofMinutes(10),
                "safety-net poll for missed wake-ups, and how often the queue configurations are re-read; normal "
                + "wake-ups are immediate");
        public static final Key<Duration> BACKEND_COOLDOWN = Key.duration("dispatch.backend-cooldown",
                Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(1),
                "how long an http backend's circuit breaker stays open before it lets one probe through (its wait "
                + "in open)");
        public static final Key<Duration> SWEEP_INTERVAL = Key.duration("dispatch.sweep-interval",
                Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofDays(1),
                "how often finished tasks past their queue's retention are deleted").formerly("retention.sweep-interval");
        public static final Key<Integer> COMPLETIONS_PER_WORKER = Key.integer("dispatch.completions-per-worker",
                4, 1, 1000, "attempt results waiting to be written, per worker: the completion writer's queue holds "
                + "this times dispatch.max-concurrent, and a worker waits while it is full");
        public static final List<Key<?>> KEYS = List.of(MAX_CONCURRENT, MAX_CLAIM, LEASE_MARGIN, POLL_INTERVAL,
                                                        BACKEND_COOLDOWN, SWEEP_INTERVAL, COMPLETIONS_PER_WORKER);
        public static final Dispatch DEFAULTS = from(Key.DEFAULTS);

        static Dispatch from(Key.Values values) {
            return new Dispatch(values.get(MAX_CONCURRENT), values.get(MAX_CLAIM), values.get(LEASE_MARGIN),
                                values.get(POLL_INTERVAL), values.get(BACKEND_COOLDOWN), values.get(SWEEP_INTERVAL),
                                values.get(COMPLETIONS_PER_WORKER));
        }
    }

    /**
     * How http deliveries are made. The secrets every delivery is signed with (Standard Webhooks,
     * docs/api.md#verifying-deliveries): one {@code webhook-signature} entry per secret, so that a backend can move to
     * a new secret while the old one is still accepted; no secret: deliveries are unsigned. And when a backend's
     * circuit breaker opens: once at least {@code breakerMinimumCalls} deliveries were made to it and
     * {@code breakerFailureRate} percent of the recent ones failed (its wait in open is
     * {@code dispatch.backend-cooldown}).
     */
    public record Delivery(List<SigningSecret> signingSecrets, int breakerFailureRate, int breakerMinimumCalls) {
        public static final Key<String> SIGNING_SECRETS = Key.signingSecrets("delivery.signing-secrets",
                "the secrets every http delivery is signed with, one signature each (Standard Webhooks; several for "
                + "rotation); empty: deliveries are unsigned");
        public static final Key<Integer> BREAKER_FAILURE_RATE = Key.integer("delivery.breaker-failure-rate", 50, 1, 100,
                "percent of an http backend's recent deliveries that must fail (connection error, timeout, 408, 429, "
                + "5xx) for its circuit breaker to open");
        public static final Key<Integer> BREAKER_MINIMUM_CALLS = Key.integer("delivery.breaker-minimum-calls", 10, 1,
                10_000, "deliveries to an http backend before its circuit breaker may open (its window is this many, "
                + "at least 20)");
        public static final List<Key<?>> KEYS = List.of(SIGNING_SECRETS, BREAKER_FAILURE_RATE, BREAKER_MINIMUM_CALLS);
        public static final Delivery DEFAULTS = new Delivery(List.of());

        public Delivery {
            signingSecrets = List.copyOf(signingSecrets);
        }

        public Delivery(List<SigningSecret> signingSecrets) {
            this(signingSecrets, BREAKER_FAILURE_RATE.defaultValue(), BREAKER_MINIMUM_CALLS.defaultValue());
        }
    }

    /** One HMAC key of {@code delivery.signing-secrets}: the bytes of its base64 part. Its toString tells nothing. */
    public record SigningSecret(byte[] key) {
        public SigningSecret {
            key = key.clone();
        }

        @Override
        public byte[] key() {
            return key.clone();
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof SigningSecret that && MessageDigest.isEqual(key, that.key);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(key);
        }

        @Override
        public String toString() {
            return "SigningSecret[" + key.length + " bytes]";
        }
    }

    /**
     * The upkeep of Spindle's tables, every {@code interval}: counts of backends that are gone are folded, and,
     * when {@code vacuumEnabled}, a table whose dead rows exceed {@code vacuumDeadTuples} plus
     * {@code vacuumDeadPercent} percent of its live rows is vacuumed (whether or not autovacuum runs).
     */
    public record Maintenance(Duration interval, boolean vacuumEnabled, int vacuumDeadTuples, int vacuumDeadPercent) {
        public static final Key<Duration> INTERVAL = Key.duration("maintenance.interval",
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofHours(1),
                "how often Spindle looks after its tables (dead rows, the queue counts of closed connections)");
        public static final Key<Boolean> VACUUM_ENABLED = Key.bool("maintenance.vacuum-enabled", true,
                "Spindle runs VACUUM (ANALYZE) on its own tables when their dead rows pass the threshold; one "
                + "instance at a time, one table at a time");
        public static final Key<Integer> VACUUM_DEAD_TUPLES = Key.integer("maintenance.vacuum-dead-tuples", 10_000, 0,
                1_000_000_000, "dead rows a table may hold before Spindle vacuums it (plus maintenance.vacuum-dead-percent)");
        public static final Key<Integer> VACUUM_DEAD_PERCENT = Key.integer("maintenance.vacuum-dead-percent", 10, 0,
                1000, "more dead rows a table may hold before Spindle vacuums it, as a percentage of its live rows");
        public static final List<Key<?>> KEYS = List.of(INTERVAL, VACUUM_ENABLED, VACUUM_DEAD_TUPLES, VACUUM_DEAD_PERCENT);
        public static final Maintenance DEFAULTS = from(Key.DEFAULTS);

        static Maintenance from(Key.Values values) {
            return new Maintenance(values.get(INTERVAL), values.get(VACUUM_ENABLED), values.get(VACUUM_DEAD_TUPLES),
                                   values.get(VACUUM_DEAD_PERCENT));
        }
    }

    /**
     * The scheduler (SPEC §9): a fire time found later than {@code misfireThreshold} was missed (every instance was
     * down, the database out of reach) and the schedule's {@code catchUp} decides about it; the scheduler sleeps
     * until the next fire time, but never longer than {@code pollInterval}.
     */
    public record Schedules(Duration misfireThreshold, Duration pollInterval) {
        public static final Key<Duration> MISFIRE_THRESHOLD = Key.duration("schedules.misfire-threshold",
                Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofHours(24),
                "a fire time whose task could not be created within this (all instances down, database out of reach) "
                + "counts as missed: catchUp none skips it, last creates one task for the latest missed");
        public static final Key<Duration> POLL_INTERVAL = Key.duration("schedules.poll-interval",
                Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofHours(1),
                "longest sleep of the scheduler, a safety net; it wakes at each fire time and when a schedule changes "
                + "on any instance");
        public static final List<Key<?>> KEYS = List.of(MISFIRE_THRESHOLD, POLL_INTERVAL);
        public static final Schedules DEFAULTS = from(Key.DEFAULTS);

        static Schedules from(Key.Values values) {
            return new Schedules(values.get(MISFIRE_THRESHOLD), values.get(POLL_INTERVAL));
        }
    }

    /** Group commit of enqueues, and the bound on long-polling requests. */
    public record Enqueue(int writers, int backlog, int maxBatch, Duration ackTimeout, int maxWaiters) {
        public static final Key<Integer> WRITERS = Key.integer("enqueue.writers", 4, 1, 64,
                "enqueue writers; each inserts whatever single enqueues are waiting (up to enqueue.max-batch) in "
                + "one statement");
        public static final Key<Integer> BACKLOG = Key.integer("enqueue.backlog", 10_000, 1, 1_000_000,
                "single enqueues waiting for a writer; beyond this, enqueue answers 503");
        public static final Key<Integer> MAX_BATCH = Key.integer("enqueue.max-batch", 1000, 1, 100_000,
                "most waiting enqueues one writer inserts in one statement");
        public static final Key<Duration> ACK_TIMEOUT = Key.duration("enqueue.ack-timeout",
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofMinutes(10),
                "longest a single enqueue waits for its commit; then 503 (the task may or may not be stored)");
        public static final Key<Integer> MAX_WAITERS = Key.integer("enqueue.max-waiters", 10_000, 1, 1_000_000,
                "requests long-polling a task with ?wait= at once; beyond this, 503").formerly("tasks.max-waiters");
        public static final List<Key<?>> KEYS = List.of(WRITERS, BACKLOG, MAX_BATCH, ACK_TIMEOUT, MAX_WAITERS);
        public static final Enqueue DEFAULTS = from(Key.DEFAULTS);

        static Enqueue from(Key.Values values) {
            return new Enqueue(values.get(WRITERS), values.get(BACKLOG), values.get(MAX_BATCH), values.get(ACK_TIMEOUT),
                               values.get(MAX_WAITERS));
        }
    }

    /**
     * API keys ({@code security.api-keys}) and whether anonymous access may be served off loopback
     * ({@code security.anonymous}). With no key, every client is anonymous.
     */
    public record Security(boolean anonymous, List<ApiKey> apiKeys) {
        public static final Key<Boolean> ANONYMOUS = Key.bool("security.anonymous", false,
                "with no API key configured, also serve anyone on a non-loopback server.host (else Spindle refuses "
                + "to start there); must be false when keys exist");
        /** {@code security.api-keys} is a list of entries, read and documented on its own. */
        public static final List<Key<?>> KEYS = List.of(ANONYMOUS);
        public static final Security DEFAULTS = new Security(ANONYMOUS.defaultValue(), List.of());

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
        public static final Key<Boolean> ENABLED = Key.bool("ratelimit.clients.enabled", true,
                "per-client request limits (and the RateLimit headers) on /v1");
        public static final Key<Integer> PERMITS = Key.integer("ratelimit.clients.permits", 100_000, 1, 100_000_000,
                "requests each client (API key, or address when anonymous) may make per period; a batch enqueue "
                + "costs one per 100 tasks");
        public static final Key<Duration> PERIOD = Key.duration("ratelimit.clients.period",
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofHours(1), "the window; whole seconds");
        public static final Key<Integer> MAX_CLIENTS = Key.integer("ratelimit.clients.max-clients", 10_000, 16,
                10_000_000, "client limiters held in memory; beyond, idle ones are evicted, then the least recent");
        public static final Key<Duration> IDLE_TIMEOUT = Key.duration("ratelimit.clients.idle-timeout",
                Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1),
                "a limiter unused this long is forgotten; not shorter than ratelimit.clients.period");
        public static final Key<Integer> MAX_STREAMS = Key.integer("ratelimit.clients.max-streams", 10, 1, 100_000,
                "SSE streams each client may hold open at once; the next gets 429");
        public static final List<Key<?>> KEYS = List.of(ENABLED, PERMITS, PERIOD, MAX_CLIENTS, IDLE_TIMEOUT, MAX_STREAMS);
        public static final ClientLimits DEFAULTS = from(Key.DEFAULTS);

        static ClientLimits from(Key.Values values) {
            return new ClientLimits(values.get(ENABLED), values.get(PERMITS), values.get(PERIOD),
                                    values.get(MAX_CLIENTS), values.get(IDLE_TIMEOUT), values.get(MAX_STREAMS));
        }
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
        public static final Key<Integer> SUBSCRIBER_CAPACITY = Key.integer("bus.subscriber-capacity", 256, 1, 100_000,
                "events queued for one SSE subscriber; a full queue loses its oldest, then the subscriber gets lagged");
        public static final Key<Long> SUBSCRIBER_BYTES = Key.bytes("bus.subscriber-bytes", 1L << 20, 64L << 10, 1L << 30,
                "bytes of events queued for one subscriber, whatever their number; beyond, the oldest are dropped");
        public static final Key<Integer> REPLAY_SIZE = Key.integer("bus.replay-size", 1000, 0, 1_000_000,
                "events each topic keeps for Last-Event-ID replay");
        public static final Key<Long> REPLAY_BYTES = Key.bytes("bus.replay-bytes", 64L << 20, 0, 1L << 40,
                "bytes all topics' replay rings hold together (estimated); beyond, the publishing topic's oldest "
                + "events leave its ring");
        public static final Key<Integer> MAX_TOPICS = Key.integer("bus.max-topics", 10_000, 1, 10_000_000,
                "topics held on this instance; at the bound the longest-idle topic without subscribers is forgotten, "
                + "and if every topic has subscribers a new one gets 503");
        public static final Key<Integer> MAX_SUBSCRIBERS = Key.integer("bus.max-subscribers", 10_000, 1, 10_000_000,
                "SSE streams open at once on this instance; beyond this, 503");
        public static final Key<Duration> KEEP_ALIVE = Key.duration("bus.keep-alive",
                Duration.ofSeconds(15), Duration.ofMillis(10), Duration.ofMinutes(10),
                "a stream with nothing to send gets a ': keep-alive' comment this often");
        public static final Key<Duration> TOPIC_TTL = Key.duration("bus.topic-ttl",
                Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofDays(1),
                "a topic with no subscriber for this long is forgotten, with its replay ring");
        public static final Key<Duration> FLUSH_INTERVAL = Key.duration("bus.flush-interval",
                Duration.ofMillis(10), Duration.ZERO, Duration.ofSeconds(1),
                "a stream writes at most this often; events arriving meanwhile go out together (PT0S: every event "
                + "at once, at a much higher CPU cost under heavy fan-out)");
        public static final List<Key<?>> KEYS = List.of(SUBSCRIBER_CAPACITY, SUBSCRIBER_BYTES, REPLAY_SIZE, REPLAY_BYTES,
                                                        MAX_TOPICS, MAX_SUBSCRIBERS, KEEP_ALIVE, TOPIC_TTL, FLUSH_INTERVAL);
        public static final Bus DEFAULTS = from(Key.DEFAULTS);

        static Bus from(Key.Values values) {
            return new Bus(values.get(SUBSCRIBER_CAPACITY), values.get(SUBSCRIBER_BYTES), values.get(REPLAY_SIZE),
                           values.get(REPLAY_BYTES), values.get(MAX_TOPICS), values.get(MAX_SUBSCRIBERS),
                           values.get(KEEP_ALIVE), values.get(TOPIC_TTL), values.get(FLUSH_INTERVAL));
        }
    }
}
