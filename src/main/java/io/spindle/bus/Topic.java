package io.spindle.bus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One topic on this instance: its sequence, replay ring and subscribers. Ids are numbered and events handed to
 * every subscriber under one lock, so each subscriber sees a topic's events in id order; the lock is never held
 * while waiting for anything (a full subscriber queue loses its oldest event instead).
 */
final class Topic {
    private static final Subscription[] NONE = new Subscription[0];

    /** What a {@code Last-Event-ID} turned out to be, for metrics. */
    enum ReplayResult { NONE, COMPLETE, PARTIAL, UNKNOWN }

    /** A new subscription and how its replay went. */
    record Subscribed(Subscription subscription, ReplayResult replay, int replayed) {
    }

    private final String name;
    private final long firstId;
    private final ReentrantLock lock = new ReentrantLock();
    private final ReplayRing ring;
    private final LongSupplier clock;
    private final Consumer<Subscription> onDetach;
    private final RingBudget budget;
    private volatile Subscription[] subscribers = NONE;
    private long nextId;
    private volatile long published;
    private volatile long dropped;
    private volatile long lastActive;
    private boolean forgotten;

    /**
     * The bytes all replay rings of the bus may hold together; a topic whose event takes the total over it lets
     * its own oldest events go (it is the one publishing, and an idle topic is forgotten in time anyway).
     */
    static final class RingBudget {
        private final long max;
        private final AtomicLong held = new AtomicLong();

        RingBudget(long max) {
            this.max = max;
        }

        long held() {
            return held.get();
        }
    }

    /**
     * @param firstId  the id of the first event; above every id an earlier topic of this name had here
     * @param clock    milliseconds, for idleness
     * @param onDetach told of every subscription that leaves, after it left
     * @param budget   the bytes all rings may hold
     */
    Topic(String name, long firstId, int replaySize, LongSupplier clock, Consumer<Subscription> onDetach,
          RingBudget budget) {
        this.name = name;
        this.firstId = firstId;
        this.nextId = firstId;
        this.ring = new ReplayRing(replaySize, firstId - 1);
        this.clock = clock;
        this.onDetach = onDetach;
        this.budget = budget;
        this.lastActive = clock.getAsLong();
    }

    String name() {
        return name;
    }

    int subscriberCount() {
        return subscribers.length;
    }

    long lastActive() {
        return lastActive;
    }

    /** Outcome of one publish: the event, and how many queued events it pushed out of full subscribers. */
    record Published(Event event, int lost) {
    }

    /**
     * Numbers the event, keeps it for replay and queues it for every subscriber.
     *
     * @return {@code null} if the topic was forgotten meanwhile (the caller looks the topic up again)
     */
    Published publish(String type, String data) {
        lock.lock();
        try {
            if (forgotten) {
                return null;
            }
            Event event = new Event(name, nextId++, type, data);
            long held = budget.held.addAndGet(ring.add(event));
            if (held > budget.max) {
                budget.held.addAndGet(-ring.trim(held - budget.max, 1));
            }
            int lost = 0;
            for (Subscription subscriber : subscribers) {
                lost += subscriber.offer(event);
            }
            published++;
            if (lost > 0) {
                dropped += lost;
            }
            return new Published(event, lost);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds a subscriber. With a {@code Last-Event-ID}, the events after it that the ring still holds come first;
     * if some are gone, a {@code lagged} notice precedes them. An id this topic did not issue here (another
     * instance's, one from before a restart or from a forgotten topic, or no number at all) cannot be placed:
     * the subscriber gets {@code lagged} with an unknown count, then everything the ring holds.
     *
     * @return {@code null} if the topic was forgotten meanwhile
     */
    Subscribed subscribe(String lastEventId, int capacity, long maxBytes) {
        lock.lock();
        try {
            if (forgotten) {
                return null;
            }
            List<Event> replay = List.of();
            ReplayResult result = ReplayResult.NONE;
            if (lastEventId != null) {
                long newest = nextId - 1;
                long last = parse(lastEventId);
                if (last >= firstId - 1 && last <= newest) {
                    long oldest = ring.oldestId();
                    if (last >= oldest - 1) {
                        replay = ring.after(last);
                        result = ReplayResult.COMPLETE;
                    } else {
                        replay = withLag(Event.lagged(name, oldest - last - 1), ring.after(last));
                        result = ReplayResult.PARTIAL;
                    }
                } else {
                    replay = withLag(Event.lagged(name, -1), ring.after(firstId - 1));
                    result = ReplayResult.UNKNOWN;
                }
            }
            int replayed = (int) replay.stream().filter(Event::hasId).count();
            Subscription subscription = new Subscription(name, capacity, maxBytes, replay, this::unsubscribe);
            Subscription[] grown = Arrays.copyOf(subscribers, subscribers.length + 1);
            grown[grown.length - 1] = subscription;
            subscribers = grown;
            lastActive = clock.getAsLong();
            return new Subscribed(subscription, result, replayed);
        } finally {
            lock.unlock();
        }
    }

    private void unsubscribe(Subscription subscription) {
        lock.lock();
        try {
            Subscription[] current = subscribers;
            for (int i = 0; i < current.length; i++) {
                if (current[i] == subscription) {
                    Subscription[] shrunk = new Subscription[current.length - 1];
                    System.arraycopy(current, 0, shrunk, 0, i);
                    System.arraycopy(current, i + 1, shrunk, i, current.length - i - 1);
                    subscribers = shrunk.length == 0 ? NONE : shrunk;
                    break;
                }
            }
            lastActive = clock.getAsLong();
        } finally {
            lock.unlock();
        }
        onDetach.accept(subscription);
    }

    /**
     * Forgets the topic if it has had no subscriber since {@code idleBefore}; it then takes no publish or
     * subscription (callers look it up again and get a new one).
     */
    boolean forgetIfIdle(long idleBefore) {
        lock.lock();
        try {
            if (subscribers.length == 0 && lastActive < idleBefore && !forgotten) {
                forgotten = true;
                budget.held.addAndGet(-ring.trimTo(0));
            }
            return forgotten;
        } finally {
            lock.unlock();
        }
    }

    /** Ends every subscription (shutdown) and takes nothing more. */
    List<Subscription> forget() {
        lock.lock();
        try {
            if (!forgotten) {
                forgotten = true;
                budget.held.addAndGet(-ring.trimTo(0));
            }
            return List.of(subscribers);
        } finally {
            lock.unlock();
        }
    }

    TopicStats stats() {
        lock.lock();
        try {
            return new TopicStats(name, subscribers.length, published, dropped, nextId > firstId ? nextId - 1 : 0);
        } finally {
            lock.unlock();
        }
    }

    private static List<Event> withLag(Event lagged, List<Event> events) {
        List<Event> all = new ArrayList<>(events.size() + 1);
        all.add(lagged);
        all.addAll(events);
        return all;
    }

    private static long parse(String lastEventId) {
        try {
            return Long.parseLong(lastEventId.strip());
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
