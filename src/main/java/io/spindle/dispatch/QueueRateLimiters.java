package io.spindle.dispatch;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.spindle.task.Queue;

/**
 * One Resilience4j {@link RateLimiter} per queue that has a {@code rate}; holds as many entries as there are
 * such queues, and forgets a queue's limiter when the queue is deleted or its rate changes.
 */
public final class QueueRateLimiters {
    private record Entry(Queue.Rate rate, RateLimiter limiter) {
    }

    private final Map<String, Entry> limiters = new ConcurrentHashMap<>();

    /** Keeps limiters in step with the queues' configuration. */
    public void sync(Map<String, Queue> queues) {
        limiters.keySet().removeIf(name -> {
            Queue queue = queues.get(name);
            return queue == null || queue.rate().isEmpty() || !queue.rate().get().equals(limiters.get(name).rate());
        });
    }

    public Optional<RateLimiter> forQueue(Queue queue) {
        if (queue.rate().isEmpty()) {
            return Optional.empty();
        }
        Queue.Rate rate = queue.rate().get();
        Entry entry = limiters.get(queue.name());
        if (entry == null || !entry.rate().equals(rate)) {
            // rare: the first task of the queue, or its rate changed; the common path above only reads
            entry = limiters.compute(queue.name(), (name, current) ->
                    current != null && current.rate().equals(rate) ? current : new Entry(rate, create(name, rate)));
        }
        return Optional.of(entry.limiter());
    }

    /** Starts a task may make now without waiting; {@code Integer.MAX_VALUE} for a queue without a rate. */
    public int available(Queue queue) {
        return forQueue(queue).map(l -> Math.max(0, l.getMetrics().getAvailablePermissions())).orElse(Integer.MAX_VALUE);
    }

    /** Blocks the calling (virtual) thread until the queue's rate allows one more start. */
    public void acquire(Queue queue) throws InterruptedException {
        Optional<RateLimiter> limiter = forQueue(queue);
        if (limiter.isEmpty()) {
            return;
        }
        while (!limiter.get().acquirePermission()) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /** How long until a rate-limited queue may start tasks again (its refresh period, at most). */
    public Duration refreshPeriod(Queue queue) {
        return queue.rate().map(Queue.Rate::period).orElse(Duration.ZERO);
    }

    private static RateLimiter create(String name, Queue.Rate rate) {
        return RateLimiter.of("queue-" + name, RateLimiterConfig.custom()
                .limitForPeriod(rate.permits())
                .limitRefreshPeriod(rate.period())
                .timeoutDuration(rate.period().plusMillis(10))
                .build());
    }
}
