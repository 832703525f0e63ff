package io.spindle.schedule;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Schedule meters: {@code spindle_schedule_fires_total{queue,schedule}} (tasks created by schedules, one per fire
 * time) and {@code spindle_schedule_lateness_seconds{queue}} (from a fire time to its task's commit). Fires are rare
 * (at most one a second per schedule), so meters are looked up at each fire rather than cached.
 */
public final class ScheduleMetrics {
    private final MeterRegistry registry;

    public ScheduleMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void fired(String queue, String schedule, Duration lateness) {
        Counter.builder("spindle.schedule.fires")
                .description("Tasks created by schedules, one per fire time")
                .tag("queue", queue)
                .tag("schedule", schedule)
                .register(registry)
                .increment();
        Timer.builder("spindle.schedule.lateness")
                .description("Time from a schedule's fire time to the commit of its task")
                .tag("queue", queue)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(registry)
                .record(lateness.isNegative() ? Duration.ZERO : lateness);
    }
}
