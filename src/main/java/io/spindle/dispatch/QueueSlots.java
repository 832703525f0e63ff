package io.spindle.dispatch;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This instance's tasks of each queue that hold one of the queue's {@code maxConcurrent} slots: from their claim
 * until their end is committed (or they are handed back), which is when the claim, counting the running tasks in
 * the database, sees the slot free again. Counting them until then keeps the dispatcher from asking for slots the
 * database still counts as taken (which would hold the claim back). Freeing slots rings the dispatcher.
 */
public final class QueueSlots {
    private final Map<String, AtomicInteger> held = new ConcurrentHashMap<>();
    private final Runnable freed;

    /** @param freed rings the dispatcher ({@link Wakeup#ring}) */
    public QueueSlots(Runnable freed) {
        this.freed = freed;
    }

    /** Slots of {@code queue} this instance holds. */
    public int held(String queue) {
        AtomicInteger count = held.get(queue);
        return count == null ? 0 : count.get();
    }

    void take(String queue) {
        count(queue).incrementAndGet();
    }

    private AtomicInteger count(String queue) {
        return held.computeIfAbsent(queue, q -> new AtomicInteger());
    }

    void free(String queue) {
        free(List.of(queue));
    }

    /** Frees one slot per entry (a batch of committed ends), ringing once. */
    void free(Collection<String> queues) {
        if (queues.isEmpty()) {
            return;
        }
        for (String queue : queues) {
            count(queue).decrementAndGet();
        }
        freed.run();
    }
}
