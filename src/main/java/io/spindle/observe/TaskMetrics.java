package io.spindle.observe;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Task meters: enqueued and finished by queue and outcome, dispatch duration, claim batch sizes and busy
 * workers. Series grow with the number of queues, which the operator controls.
 */
public final class TaskMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> enqueued = new ConcurrentHashMap<>();
    private final Map<String, Counter> finished = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();
    private final DistributionSummary claimBatch;

    public TaskMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.claimBatch = DistributionSummary.builder("spindle.dispatch.claim.batch")
                .description("Tasks claimed per claim statement")
                .baseUnit("tasks")
                .register(registry);
    }

    /** A metrics sink that records nothing, for parts used without a registry. */
    public static TaskMetrics noop() {
        return new TaskMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    public void enqueued(String queue, int count) {
        meter(enqueued, queue, () -> Counter.builder("spindle.tasks.enqueued")
                .description("Tasks created by enqueue").tag("queue", queue).register(registry)).increment(count);
    }

    /** @param outcome {@code succeeded}, {@code failed}, {@code retried}, {@code rescued} or {@code cancelled} */
    public void finished(String queue, String outcome) {
        meter(finished, queue + '\0' + outcome, () -> Counter.builder("spindle.tasks.finished")
                .description("Task attempts ended, by outcome").tag("queue", queue).tag("outcome", outcome)
                .register(registry)).increment();
    }

    public void dispatched(String queue, Duration handlerTime) {
        meter(durations, queue, () -> Timer.builder("spindle.dispatch.duration")
                .description("Time a handler took for one attempt")
                .tag("queue", queue)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry)).record(handlerTime);
    }

    public void claimed(int count) {
        claimBatch.record(count);
    }

    public void busyWorkers(Supplier<Number> busy) {
        Gauge.builder("spindle.workers.busy", busy).description("Tasks running on this instance").register(registry);
    }

    /**
     * The cached meter, registering it on first use outside any map lock: Micrometer's registration calls
     * back into Helidon's registry under Micrometer's lock, and holding a third lock around that invites
     * deadlock. Registration is idempotent, so a race only registers the same meter twice.
     */
    private static <M> M meter(Map<String, M> cache, String key, Supplier<M> register) {
        M meter = cache.get(key);
        if (meter == null) {
            meter = register.get();
            cache.putIfAbsent(key, meter);
        }
        return meter;
    }

    public MeterRegistry registry() {
        return registry;
    }
}
