import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.config.Settings;
import io.spindle.security.ClientLimits;

/**
 * Lookup-and-charge throughput of Spindle's client limiter cache (Caffeine, lock only to insert)
 * against the obvious alternative, an access-ordered LinkedHashMap under one ReentrantLock, from THREADS threads:
 * one hot client, 1,000 clients, and a stream of new clients past the bound. With {@code cpu} as the third argument
 * it measures instead the CPU time of one thread per charge, which a machine busy with other work disturbs far less
 * than a rate does.
 * Usage: java -cp 'target/spindle.jar:target/libs/*' bench/security/LimiterContention.java [THREADS] [SECONDS] [cpu]
 */
public class LimiterContention {
    static final int BOUND = 10_000;

    /** The alternative: LRU by access order, every lookup under the lock (an access reorders the list). */
    static final class LockedLru {
        final ReentrantLock lock = new ReentrantLock();
        final RateLimiterConfig config = RateLimiterConfig.custom().limitForPeriod(100_000_000)
                .limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build();
        final LinkedHashMap<String, RateLimiter> map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, RateLimiter> eldest) {
                return size() > BOUND;
            }
        };

        boolean acquire(String client) {
            RateLimiter limiter;
            lock.lock();
            try {
                limiter = map.computeIfAbsent(client, c -> new AtomicRateLimiter(c, config));
            } finally {
                lock.unlock();
            }
            // the same work as ClientLimits.acquire after its lookup: the charge, what is left, when it resets
            boolean permitted = limiter.acquirePermission(1);
            int remaining = limiter.getMetrics().getAvailablePermissions();
            return permitted && remaining >= 0 && System.nanoTime() != 0;
        }
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        ClientLimits spindle = new ClientLimits(new Settings.ClientLimits(true, 100_000_000, Duration.ofSeconds(1),
                BOUND, Duration.ofMinutes(5), 10), new io.spindle.security.SecurityMetrics(new SimpleMeterRegistry()),
                System::nanoTime);
        LockedLru lru = new LockedLru();
        if (args.length > 2 && args[2].equals("cpu")) {
            cpu(spindle, lru);
            return;
        }
        System.out.printf("%d threads, %d s each; million charges per second (higher is better)%n", threads, seconds);
        System.out.printf("%-26s %14s %14s%n", "workload", "spindle cache", "locked LRU");
        for (String workload : new String[] {"1 hot client", "1,000 clients", "new clients past bound"}) {
            Function<Long, String> client = switch (workload) {
                case "1 hot client" -> i -> "key:hot";
                case "1,000 clients" -> i -> "key:c" + (i % 1000);
                default -> i -> "addr:" + i;
            };
            double a = run(threads, seconds, i -> spindle.acquire(client.apply(i), 1).permitted());
            double b = run(threads, seconds, i -> lru.acquire(client.apply(i)));
            System.out.printf("%-26s %14.2f %14.2f%n", workload, a / 1e6, b / 1e6);
        }
    }

    /** CPU nanoseconds per charge on one thread, after a warm-up on other clients. */
    static void cpu(ClientLimits spindle, LockedLru lru) {
        System.out.printf("1 thread; CPU ns per charge (lower is better)%n");
        System.out.printf("%-26s %14s %14s%n", "workload", "spindle cache", "locked LRU");
        for (String workload : new String[] {"1 hot client", "1,000 clients", "new clients past bound"}) {
            Function<Long, String> client = switch (workload) {
                case "1 hot client" -> i -> "key:hot";
                case "1,000 clients" -> i -> "key:c" + (i % 1000);
                default -> i -> "addr:" + i;
            };
            long count = workload.startsWith("new") ? 200_000 : 2_000_000;
            double a = cpuNanos(count, i -> spindle.acquire(client.apply(i), 1).permitted());
            double b = cpuNanos(count, i -> lru.acquire(client.apply(i)));
            System.out.printf("%-26s %14.0f %14.0f%n", workload, a, b);
        }
    }

    static double cpuNanos(long count, Charge charge) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (long i = 0; i < count / 4; i++) {
            sink += charge.charge(i) ? 1 : 0;
        }
        long start = threads.getCurrentThreadCpuTime();
        for (long i = 1L << 40; i < (1L << 40) + count; i++) {
            sink += charge.charge(i) ? 1 : 0;
        }
        long used = threads.getCurrentThreadCpuTime() - start;
        return sink < 0 ? -1 : used / (double) count;
    }

    interface Charge {
        boolean charge(long i);
    }

    static double run(int threads, int seconds, Charge charge) throws InterruptedException {
        LongAdder done = new LongAdder();
        CountDownLatch start = new CountDownLatch(1);
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos() + Duration.ofMillis(200).toNanos();
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            long offset = (long) t << 40;
            workers[t] = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                long i = offset;
                long warm = System.nanoTime() + Duration.ofMillis(200).toNanos();
                while (System.nanoTime() < end) {
                    for (int k = 0; k < 1000; k++) {
                        charge.charge(i++);
                    }
                    if (System.nanoTime() > warm) {
                        done.add(1000);
                    }
                }
            });
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        return done.sum() / (double) seconds;
    }
}
