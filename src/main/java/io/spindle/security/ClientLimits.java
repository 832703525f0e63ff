package io.spindle.security;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import io.spindle.config.Settings;

/**
 * The per-client limits of SPEC §6: a Resilience4j {@link RateLimiter} for each client, kept in a bounded,
 * idle-evicting Caffeine cache (never an unbounded {@code RateLimiterRegistry}), and a bound on each client's open
 * event streams. Time comes from the injected {@code nanoTime}, which the limiters and the cache share. A limiter
 * unused for {@code idle-timeout} is dropped; when the cache is full, Caffeine's W-TinyLFU policy drops the rarely
 * used first, so a flood of one-off identities does not push out a client in steady use.
 *
 * <p>Caffeine evicts after an insert, not before, and leaves it to whichever thread next holds its maintenance lock.
 * So that the bound is never passed even by a flood of first requests from many threads, the cache runs its
 * maintenance on the calling thread ({@code Runnable::run}, no pool), new limiters are inserted one at a time, each
 * followed by {@link Cache#cleanUp()}, and the cache is sized one below {@code max-clients} to leave room for the
 * entry between its insert and that clean-up. Lookups of known clients take no lock.
 */
public final class ClientLimits implements AutoCloseable {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** The answer to one charge: whether it was permitted, what is left, and when the window resets. */
    public record Decision(boolean permitted, int remaining, long resetSeconds) {
        /** Whole seconds until the client may try again (at least 1). */
        public long retryAfterSeconds() {
            return Math.max(1, resetSeconds);
        }
    }

    /** One open stream of one client; closing it frees the slot (once). */
    public interface StreamSlot extends AutoCloseable {
        @Override
        void close();
    }

    /** A limiter and the instant its first window began, from which every later window follows. */
    private record Limiter(RateLimiter limiter, long origin) {
    }

    private final Settings.ClientLimits settings;
    private final LongSupplier nanoTime;
    private final long periodNanos;
    private final RateLimiterConfig config;
    private final Cache<String, Limiter> limiters;
    private final ReentrantLock inserting = new ReentrantLock();
    private final ConcurrentHashMap<String, Integer> streams = new ConcurrentHashMap<>();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final SecurityMetrics metrics;
    private final String policy;

    public ClientLimits(Settings.ClientLimits settings, SecurityMetrics metrics, LongSupplier nanoTime) {
        this.settings = settings;
        this.metrics = metrics;
        this.nanoTime = nanoTime;
        this.periodNanos = settings.period().toNanos();
        this.config = RateLimiterConfig.custom()
                .limitForPeriod(settings.permits())
                .limitRefreshPeriod(settings.period())
                .timeoutDuration(Duration.ZERO)
                .writableStackTraceEnabled(false)
                .build();
        this.limiters = Caffeine.newBuilder()
                .maximumSize(settings.maxClients() - 1L)
                .expireAfterAccess(settings.idleTimeout())
                .ticker(nanoTime::getAsLong)
                .executor(Runnable::run)
                .build();
        this.policy = "\"clients\";q=" + settings.permits() + ";w=" + settings.period().toSeconds();
        metrics.gauges(this::liveLimiters, openStreams::get);
    }

    /** Limits on the system clock, with their meters (and those of the security filter) in {@code registry}. */
    public static ClientLimits create(Settings.ClientLimits settings, MeterRegistry registry) {
        return new ClientLimits(settings, new SecurityMetrics(registry), System::nanoTime);
    }

    public SecurityMetrics metrics() {
        return metrics;
    }

    /** Whether request rates are limited at all ({@code ratelimit.clients.enabled}); streams are bounded regardless. */
    public boolean enabled() {
        return settings.enabled();
    }

    /**
     * Takes {@code permits} from the client's limiter, or nothing when it has fewer left. A cost above the
     * limit per period is capped at it, so that a large batch is possible at all.
     */
    public Decision acquire(String client, int permits) {
        if (!settings.enabled()) {
            return new Decision(true, settings.permits(), 0);
        }
        Limiter limiter = limiter(client);
        int cost = Math.clamp(permits, 1, settings.permits());
        boolean permitted = limiter.limiter().acquirePermission(cost);
        int remaining = Math.max(0, limiter.limiter().getMetrics().getAvailablePermissions());
        long untilReset = periodNanos - Math.floorMod(nanoTime.getAsLong() - limiter.origin(), periodNanos);
        if (!permitted) {
            metrics.refusedRequest();
        }
        return new Decision(permitted, remaining, (untilReset + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND);
    }

    /** Permits per period: the most any one request can be charged. */
    public int permitsPerPeriod() {
        return settings.permits();
    }

    /** The limit in words, for problem details: {@code 1000 permits per 1 s}. */
    public String quota() {
        return settings.permits() + " permits per " + settings.period().toSeconds() + " s";
    }

    /** The value of {@code RateLimit-Policy}: {@code "clients";q=<permits>;w=<seconds>}. */
    public String policyHeader() {
        return policy;
    }

    /** The value of {@code RateLimit} after {@code decision}: {@code "clients";r=<remaining>;t=<seconds>}. */
    public static String header(Decision decision) {
        return "\"clients\";r=" + decision.remaining() + ";t=" + decision.resetSeconds();
    }

    /**
     * A slot for one more open event stream of {@code client}, or empty when it already has
     * {@code ratelimit.clients.max-streams} open. The map holds only clients with a stream open.
     */
    public Optional<StreamSlot> openStream(String client) {
        int max = settings.maxStreams();
        boolean[] opened = new boolean[1];
        streams.compute(client, (k, open) -> {
            int n = open == null ? 0 : open;
            opened[0] = n < max;
            return opened[0] ? n + 1 : open;
        });
        if (!opened[0]) {
            metrics.refusedStream();
            return Optional.empty();
        }
        openStreams.incrementAndGet();
        return Optional.of(new StreamSlot() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    openStreams.decrementAndGet();
                    streams.computeIfPresent(client, (k, open) -> open <= 1 ? null : open - 1);
                }
            }
        });
    }

    /** Limiters held now; never more than {@code ratelimit.clients.max-clients}. */
    public int liveLimiters() {
        return (int) limiters.estimatedSize();
    }

    public int openStreams() {
        return openStreams.get();
    }

    /** Forgets every limiter and removes the gauges (shutdown). */
    @Override
    public void close() {
        limiters.invalidateAll();
        metrics.close();
    }

    private Limiter limiter(String client) {
        Limiter known = limiters.getIfPresent(client);
        if (known != null) {
            return known;
        }
        inserting.lock();
        try {
            Limiter limiter = limiters.get(client, this::newLimiter);
            limiters.cleanUp();
            return limiter;
        } finally {
            inserting.unlock();
        }
    }

    private Limiter newLimiter(String client) {
        long origin = nanoTime.getAsLong();
        return new Limiter(new AtomicRateLimiter(client, config, () -> nanoTime.getAsLong()), origin);
    }
}
