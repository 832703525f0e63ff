package io.spindle.bus;

import java.util.ArrayList;
import java.util.List;

/**
 * The newest events of one topic, for subscribers that reconnect with {@code Last-Event-ID}. Ids within a topic
 * are consecutive, so the ring is addressed by id. Not thread-safe: the topic's lock guards it.
 */
final class ReplayRing {
    private final Event[] slots;
    private int size;
    private long newestId;

    ReplayRing(int capacity, long newestId) {
        this.slots = new Event[capacity];
        this.newestId = newestId;
    }

    /** Adds the event whose id follows the newest; the oldest leaves when the ring is full. */
    void add(Event event) {
        newestId = event.id();
        if (slots.length == 0) {
            return;
        }
        slots[index(event.id())] = event;
        if (size < slots.length) {
            size++;
        }
    }

    /** The id of the oldest event held; {@code newestId() + 1} when none is held. */
    long oldestId() {
        return newestId - size + 1;
    }

    long newestId() {
        return newestId;
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

    private int index(long id) {
        return (int) Math.floorMod(id, (long) slots.length);
    }
}
