package io.spindle.schedule;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.spindle.error.SpindleException;
import io.spindle.task.QueueStore;

/**
 * What the API does with schedules: create or replace, read with their next fire times, pause, resume (by the
 * schedule's {@link CatchUp}) and delete. Each change is told to {@code changed}, which wakes the schedulers of
 * every instance.
 */
public final class Schedules {
    /** Fire times a view lists. */
    public static final int NEXT_RUNS = 5;
    /** Schedules a queue may have; its list shows them all. */
    public static final int MAX_PER_QUEUE = 1000;

    private final ScheduleStore store;
    private final QueueStore queues;
    private final Consumer<Schedule> changed;
    private final Clock clock;

    public Schedules(ScheduleStore store, QueueStore queues, Consumer<Schedule> changed, Clock clock) {
        this.store = store;
        this.queues = queues;
        this.changed = changed;
        this.clock = clock;
    }

    /** The result of a PUT: whether the schedule was created, and how it now looks. */
    public record Saved(boolean created, ScheduleView view) {
    }

    public Saved put(Schedule schedule) {
        Instant now = clock.instant();
        ScheduleStore.Saved saved = store.save(schedule, MAX_PER_QUEUE, existing -> existing
                .filter(old -> old.schedule().timing().sameTimesAs(schedule.timing()))
                .map(old -> old.schedule().paused() && !schedule.paused() ? resumedNextFire(old, now) : old.nextFire())
                .orElseGet(() -> schedule.timing().nextAfter(now)));
        changed.accept(schedule);
        return new Saved(saved == ScheduleStore.Saved.CREATED, get(schedule.queue(), schedule.name()));
    }

    public ScheduleView get(String queue, String name) {
        return store.find(queue, name).map(this::view).orElseThrow(() -> notFound(queue, name));
    }

    /** @throws SpindleException.NotFound when the queue does not exist */
    public List<ScheduleView> list(String queue) {
        List<ScheduleStore.Stored> stored = store.list(queue, MAX_PER_QUEUE);
        if (stored.isEmpty() && !queues.exists(queue)) {
            throw QueueStore.notFound(queue);
        }
        return stored.stream().map(this::view).toList();
    }

    public void delete(String queue, String name) {
        if (!store.delete(queue, name)) {
            throw notFound(queue, name);
        }
    }

    public ScheduleView pause(String queue, String name) {
        ScheduleStore.Stored paused = store.pause(queue, name).orElseThrow(() -> notFound(queue, name));
        changed.accept(paused.schedule());
        return view(paused);
    }

    /**
     * Unpauses: with {@code catchUp: none} the fire times that passed while paused are skipped; with {@code last}
     * the most recent of them becomes the next fire time, so its task is created at once.
     */
    public ScheduleView resume(String queue, String name) {
        Instant now = clock.instant();
        ScheduleStore.Stored resumed = store.resume(queue, name, old -> old.schedule().paused()
                ? resumedNextFire(old, now) : old.nextFire()).orElseThrow(() -> notFound(queue, name));
        changed.accept(resumed.schedule());
        return view(resumed);
    }

    private static Instant resumedNextFire(ScheduleStore.Stored old, Instant now) {
        if (old.nextFire().isAfter(now)) {
            return old.nextFire();
        }
        Timing timing = old.schedule().timing();
        return old.schedule().catchUp() == CatchUp.LAST
                ? timing.latestAtOrBefore(now, old.nextFire())
                : timing.nextAfter(now);
    }

    private ScheduleView view(ScheduleStore.Stored stored) {
        List<Instant> next = new ArrayList<>(NEXT_RUNS);
        if (!stored.schedule().paused()) {
            Timing timing = stored.schedule().timing();
            Instant now = clock.instant();
            // the stored next fire time while it is ahead; else it is due (or missed) and what follows is as computed
            Instant at = stored.nextFire().isAfter(now) ? stored.nextFire() : timing.nextAfter(now);
            next.add(at);
            while (next.size() < NEXT_RUNS) {
                at = timing.nextAfter(at);
                next.add(at);
            }
        }
        return new ScheduleView(stored.schedule(), List.copyOf(next), stored.lastRun());
    }

    private SpindleException.NotFound notFound(String queue, String name) {
        if (!queues.exists(queue)) {
            return QueueStore.notFound(queue);
        }
        return new SpindleException.NotFound("Schedule '" + name + "' does not exist in queue '" + queue + "'.");
    }
}
