package io.spindle.observe;

import java.util.ArrayList;
import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.spindle.task.QueueStats;
import io.spindle.task.QueueStore;
import io.spindle.task.QueueView;

/**
 * {@code spindle_queue_depth_tasks{queue,state}}: tasks per queue and state, counted by one query every
 * sampling interval (run as a periodic duty), so a scrape never scans the tasks table. Series of deleted
 * queues are removed at the next sample.
 */
public final class QueueDepthSampler implements Runnable {
    private final QueueStore queues;
    private final MultiGauge depth;

    public QueueDepthSampler(QueueStore queues, MeterRegistry registry) {
        this.queues = queues;
        this.depth = MultiGauge.builder("spindle.queue.depth")
                .description("Tasks per queue and state, sampled periodically (pending = due, scheduled = not yet due)")
                .baseUnit("tasks")
                .register(registry);
    }

    @Override
    public void run() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (QueueView view : queues.list()) {
            String queue = view.queue().name();
            QueueStats s = view.stats();
            rows.add(row(queue, "pending", s.pending()));
            rows.add(row(queue, "scheduled", s.scheduled()));
            rows.add(row(queue, "running", s.running()));
            rows.add(row(queue, "succeeded", s.succeeded()));
            rows.add(row(queue, "failed", s.failed()));
            rows.add(row(queue, "cancelled", s.cancelled()));
        }
        depth.register(rows, true);
    }

    private static MultiGauge.Row<?> row(String queue, String state, long count) {
        return MultiGauge.Row.of(Tags.of("queue", queue, "state", state), count);
    }
}
