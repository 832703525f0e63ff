package io.spindle.bus;

import java.util.ArrayList;
import java.util.List;

/**
 * The newest events of one topic, for subscribers that reconnect with {@code Last-Event-ID}. Ids within a topic
 * are consecutive, so the ring is addressed by id. It keeps at most its capacity in events, and tells the
 * caller how many bytes it holds, so that the bus can bound the bytes of all rings together. Not thread-safe:
 * the topic's lock guards it.
 */
final class ReplayRing {
    private final Event[] slots;
    private int size;
    private long newestId;
    private long bytes;

    ReplayRing(int capacity, long newestId) {
        this.slots = new Event[capacity];
        this.newestId = newestId;
    }

    /**
     * Adds the event whose id follows the newest; the oldest leaves when the ring is full.
     *
     * @return the change in bytes held
     */
    long add(Event event) {
        if (slots.length == 0) {
            newestId = event.id();
            return 0;
        }
        long before = bytes;
        if (size == slots.length) {
            // the oldest, found before the newest id moves on; its slot is the one the new event takes
            bytes -= weight(slots[index(oldestId())]);
        } else {
            size++;
        }
        newestId = event.id();
        slots[index(event.id())] = event;
        bytes += weight(event);
        return bytes - before;
    }

    /**
     * Lets the oldest events go until at most {@code keep} remain.
     *
     * @return the bytes freed
     */
    long trimTo(int keep) {
        return trim(Long.MAX_VALUE, keep);
    }

    /**
     * Lets the oldest events go until {@code bytesToFree} bytes are freed or only {@code keep} events remain.
     *
     * @return the bytes freed
     */
    long trim(long bytesToFree, int keep) {
        long before = bytes;
        while (size > Math.max(0, keep) && before - bytes < bytesToFree) {
            int oldest = index(oldestId());
            bytes -= weight(slots[oldest]);
            slots[oldest] = null;
            size--;
        }
        return before - bytes;
    }

    /** The id of the oldest event held; one above the newest when none is held. */
    long oldestId() {
        return newestId - size + 1;
    }

    /** Every event held with an id above {@code afterId}, oldest first. */
    List<Event> after(long afterId) {
        long from = Math.max(afterId + 1, oldestId());
        List<Event> events = new ArrayList<>((int) Math.max(0, newestId - from + 1));
        for (long id = from; id <= newestId; id++) {
            events.add(slots[index(id)]);
        }
        return events;
    }

    /**
     * What an event costs to keep, roughly: its data and type (as their encoded form for SSE doubles them), and
     * the objects around them.
     */
    static long weight(Event event) {
        return 2L * (event.data().length() + event.type().length()) + 128;
    }

    private int index(long id) {
        return (int) Math.floorMod(id, (long) slots.length);
    }
}
