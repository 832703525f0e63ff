package io.spindle.schedule;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

import io.spindle.task.Task;

/**
 * The scheduler duty, on every instance: creates the task of each due fire time, then sleeps until the next fire
 * time of any schedule, or until woken because a schedule changed here or on another instance (NOTIFY). Which
 * instance creates a fire time's task is decided by {@link ScheduleStore#fire}'s guarded statement, so each fire
 * time yields one task however many instances run. A fire time found later than {@code misfireThreshold} was
 * missed (no instance could create it in time): the schedule's {@link CatchUp} decides what happens to it.
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Scheduler.class.getName());
    private static final int BATCH = 100;
    private static final Duration FAILURE_PAUSE = Duration.ofSeconds(1);

    private final ScheduleStore store;
    private final Consumer<List<Task>> created;
    private final ScheduleMetrics metrics;
    private final Settings settings;
    private final Clock clock;
    private final BlockingQueue<Boolean> doorbell = new ArrayBlockingQueue<>(1);
    private volatile boolean closed;
    private Thread loop;

    /**
     * @param misfireThreshold a fire time found later than this counts as missed
     * @param pollInterval     the longest sleep: a safety net for a missed wake-up or a changed clock
     */
    public record Settings(Duration misfireThreshold, Duration pollInterval) {
    }

    /** @param created receives the tasks created, for the one transition path (events, metrics, wake-ups) */
    public Scheduler(ScheduleStore store, Consumer<List<Task>> created, ScheduleMetrics metrics, Settings settings,
                     Clock clock) {
        this.store = store;
        this.created = created;
        this.metrics = metrics;
        this.settings = settings;
        this.clock = clock;
    }

    public void start() {
        loop = Thread.ofVirtual().name("scheduler").start(this::run);
    }

    /** Looks at the schedules again now (one changed); a wake while a round runs is kept for after it. */
    public void wake() {
        doorbell.offer(Boolean.TRUE);
    }

    private void run() {
        while (!closed) {
            Duration wait;
            try {
                wait = round();
            } catch (RuntimeException e) {
                LOG.warning(() -> "scheduler round failed (" + e.getMessage() + "); retrying in "
                        + FAILURE_PAUSE.toMillis() + " ms");
                wait = FAILURE_PAUSE;
            }
            try {
                doorbell.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Creates the due fire times' tasks; returns how long to sleep. */
    Duration round() {
        List<ScheduleStore.Stored> due = store.due(clock.instant(), BATCH);
        boolean failed = false;
        for (ScheduleStore.Stored schedule : due) {
            if (closed) {
                return Duration.ZERO;
            }
            try {
                fire(schedule, clock.instant());
            } catch (RuntimeException e) {
                failed = true;
                LOG.warning(() -> "schedule " + schedule.schedule().queue() + "/" + schedule.schedule().name()
                        + " could not fire: " + e.getMessage());
            }
        }
        if (failed) {
            return FAILURE_PAUSE; // a schedule that failed is still due: not again at once
        }
        if (due.size() == BATCH) {
            return Duration.ZERO;
        }
        Duration poll = settings.pollInterval();
        return store.nextFire()
                .map(next -> Duration.between(clock.instant(), next))
                .map(untilNext -> untilNext.isNegative() ? Duration.ZERO : untilNext.compareTo(poll) < 0 ? untilNext : poll)
                .orElse(poll);
    }

    private void fire(ScheduleStore.Stored stored, Instant now) {
        Schedule schedule = stored.schedule();
        Timing timing = schedule.timing();
        Instant expected = stored.nextFire();
        boolean missed = Duration.between(expected, now).compareTo(settings.misfireThreshold()) > 0;
        Instant fire = expected;
        if (missed) {
            if (schedule.catchUp() == CatchUp.NONE) {
                Instant next = timing.nextAfter(now);
                if (store.skip(schedule.queue(), schedule.name(), expected, next)) {
                    LOG.info(() -> "schedule " + schedule.queue() + "/" + schedule.name() + " skipped the fire times from "
                            + expected + " to " + now + " (catchUp none); next " + next);
                }
                return;
            }
            fire = timing.latestAtOrBefore(now, expected);
        }
        Optional<Task> task = store.fire(schedule.queue(), schedule.name(), expected, fire, timing.nextAfter(fire));
        if (task.isPresent()) {
            metrics.fired(schedule.queue(), schedule.name(), Duration.between(fire, clock.instant()));
            created.accept(List.of(task.get()));
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        wake();
        if (loop != null && !loop.join(Duration.ofSeconds(5))) {
            loop.interrupt();
        }
    }
}
