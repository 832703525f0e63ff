package io.spindle.bus;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One subscriber's view of a topic: the replayed events first, then live events from a bounded queue. Publishers
 * never wait for it: when the queue is full the oldest event is dropped, and the next read returns a
 * {@code lagged} notice with the number lost before the events that follow. One thread reads; closing (by the
 * reader, or {@link #end()} by the server from any thread) detaches it from its topic at once.
 */
public final class Subscription implements AutoCloseable {
    /** Wakes a reader blocked on an empty queue when the subscription ends. */
    private static final Event ENDED = new Event("", 0, "", "");

    private final String topic;
    private final ArrayBlockingQueue<Event> queue;
    private final ArrayDeque<Event> pending;
    private final long maxBytes;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean detached = new AtomicBoolean();
    private final Consumer<Subscription> detach;
    private volatile boolean ending;
    private volatile boolean cancelled;
    private boolean open = true;

    Subscription(String topic, int capacity, long maxBytes, List<Event> replay, Consumer<Subscription> detach) {
        this.topic = topic;
        this.maxBytes = maxBytes;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.pending = new ArrayDeque<>(replay);
        this.detach = detach;
    }

    public String topic() {
        return topic;
    }

    /**
     * The next event, waiting at most {@code timeout}; {@code null} when none came in time or the subscription is
     * over. After {@link #end()}, returns what is still queued, then one {@code shutdown} event, then nothing.
     */
    public Event next(Duration timeout) throws InterruptedException {
        if (cancelled) {
            return cancelledNow();
        }
        Event replayed = pending.poll();
        if (replayed != null || !open) {
            return replayed;
        }
        Event event = ending ? queue.poll() : queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return received(event);
    }

    /**
     * Moves up to {@code max} events that are ready now into {@code into}, in order, taking the queue's lock
     * once; never waits. A {@code lagged} notice comes first when events were lost, and after {@link #end()} the
     * {@code shutdown} event comes last.
     *
     * @return how many were added
     */
    public int drainTo(List<Event> into, int max) {
        if (cancelled) {
            cancelledNow();
            return 0;
        }
        int added = 0;
        while (added < max && !pending.isEmpty()) {
            into.add(pending.poll());
            added++;
        }
        if (!open || added >= max) {
            return added;
        }
        int from = into.size();
        int drained = queue.drainTo(into, max - added);
        added += drained;
        long taken = 0;
        for (int i = from; i < into.size(); i++) {
            if (into.get(i) != ENDED) {
                taken += ReplayRing.weight(into.get(i));
            }
        }
        queuedBytes.addAndGet(-taken);
        // read after draining, so that a loss behind the drained events is reported before them
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            into.add(from, Event.lagged(topic, lost));
            added++;
        }
        // the end marker is offered last, so it can only be the last one drained
        boolean marker = drained > 0 && into.getLast() == ENDED;
        if (marker) {
            into.removeLast();
            added--;
        }
        if (marker || (ending && queue.isEmpty())) {
            Event last = finish();
            if (last != null) {
                into.add(last);
                added++;
            }
        }
        return added;
    }

    /** False once the subscription is closed, or ended and its {@code shutdown} event handed out. */
    public boolean isOpen() {
        return open;
    }

    /**
     * Ends the subscription from the server's side (shutdown): it is detached from its topic at once, and the
     * reader, waiting or not, gets what is already queued and then a final {@code shutdown} event.
     */
    public void end() {
        ending = true;
        if (detached.compareAndSet(false, true)) {
            detach.accept(this);
        }
        // nothing is offered after the detach; a full queue needs no wake-up, its reader is not waiting
        queue.offer(ENDED);
    }

    /**
     * Ends the subscription from any thread because its client went away: it is detached at once, and the
     * reader, waiting or not, gets nothing more ({@code null}, then {@link #isOpen()} is false).
     */
    public void cancel() {
        cancelled = true;
        if (detached.compareAndSet(false, true)) {
            detach.accept(this);
        }
        queue.clear();
        queue.offer(ENDED);
    }

    /** Detaches the subscription from its topic at once; the reader gets nothing more. */
    @Override
    public void close() {
        open = false;
        if (detached.compareAndSet(false, true)) {
            detach.accept(this);
        }
        queue.clear();
    }

    /**
     * Queues a published event; called with the topic's lock held, so events arrive in id order. A full queue
     * loses its oldest event; the loss is counted before the removal, so that a reader that sees a later event
     * also sees the count.
     *
     * @return how many events this offer pushed out
     */
    int offer(Event event) {
        int lost = 0;
        while (!queue.offer(event)) {
            lost += dropOldest();
        }
        // the byte bound: large events push out the oldest too, down to the newest alone
        long queued = queuedBytes.addAndGet(ReplayRing.weight(event));
        while (queued > maxBytes && queue.size() > 1) {
            int gone = dropOldest();
            if (gone == 0) {
                break;
            }
            lost += gone;
            queued = queuedBytes.get();
        }
        return lost;
    }

    private int dropOldest() {
        dropped.incrementAndGet();
        Event oldest = queue.poll();
        if (oldest == null) {
            dropped.decrementAndGet();
            return 0;
        }
        queuedBytes.addAndGet(-ReplayRing.weight(oldest));
        return 1;
    }

    private Event received(Event event) {
        if (cancelled) {
            return cancelledNow();
        }
        if (event == ENDED || (event == null && ending)) {
            return finish();
        }
        if (event != null) {
            queuedBytes.addAndGet(-ReplayRing.weight(event));
        }
        return lagFirst(event);
    }

    private Event lagFirst(Event event) {
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            if (event != null) {
                pending.addFirst(event);
            }
            return Event.lagged(topic, lost);
        }
        return event;
    }

    private Event cancelledNow() {
        open = false;
        queue.clear();
        return null;
    }

    private Event finish() {
        if (!open) {
            return null;
        }
        open = false;
        return Event.shutdown(topic);
    }
}
