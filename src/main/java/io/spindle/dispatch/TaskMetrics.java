package io.spindle.dispatch;

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
 * Task meters: every transition (enqueued, started, heartbeats, attempts ended by outcome, redriven), dispatch duration,
 * claim batch sizes, busy workers and waiting long-polls. Series grow with the number of queues, which the operator controls.
 */
public final class TaskMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> enqueued = new ConcurrentHashMap<>();
    private final Map<String, Counter> started = new ConcurrentHashMap<>();
    private final Map<String, Counter> finished = new ConcurrentHashMap<>();
    private final Map<String, Counter> redriven = new ConcurrentHashMap<>();
    private final Map<String, Counter> heartbeats = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();
    private final DistributionSummary claimBatch;

    public TaskMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.claimBatch = DistributionSummary.builder("spindle.dispatch.claim.batch")
                .description("Tasks claimed per claim statement")
                .baseUnit("tasks")
                .register(registry);
    }

    public void enqueued(String queue) {
        count(enqueued, "spindle.tasks.enqueued", "Tasks created by enqueue", queue, null);
    }

    public void started(String queue) {
        count(started, "spindle.tasks.started", "Attempts started (tasks claimed)", queue, null);
    }

    /**
     * @param outcome {@code succeeded}, {@code failed}, {@code retried}, {@code rescued}, {@code cancelled} or
     *                {@code released}
     */
    public void finished(String queue, String outcome) {
        count(finished, "spindle.tasks.finished", "Task attempts ended, and pending tasks cancelled, by outcome",
              queue, outcome);
    }

    public void heartbeat(String queue) {
        count(heartbeats, "spindle.tasks.heartbeats", "Leases of long tasks extended by their backend", queue, null);
    }

    public void redriven(String queue) {
        count(redriven, "spindle.tasks.redriven", "Failed or cancelled tasks sent back to pending by a client",
              queue, null);
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

    public void longPolls(Supplier<Number> waiting) {
        Gauge.builder("spindle.tasks.waiting", waiting).description("Requests long-polling a task (?wait=)")
                .register(registry);
    }

    private void count(Map<String, Counter> counters, String name, String description, String queue, String outcome) {
        String key = outcome == null ? queue : queue + '\0' + outcome;
        meter(counters, key, () -> {
            Counter.Builder builder = Counter.builder(name).description(description).tag("queue", queue);
            return (outcome == null ? builder : builder.tag("outcome", outcome)).register(registry);
        }).increment();
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
}
