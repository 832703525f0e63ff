package io.spindle.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

/** The replay ring alone: which events it holds, what it hands back after an id, and the bytes it accounts. */
class ReplayRingTest {
    private static Event event(long id) {
        return new Event("t", id, "message", "{\"n\":" + id + "}");
    }

    private static List<Long> ids(List<Event> events) {
        return events.stream().map(Event::id).toList();
    }

    private static ReplayRing filled(int capacity, long from, long to) {
        ReplayRing ring = new ReplayRing(capacity, from - 1);
        LongStream.rangeClosed(from, to).forEach(id -> ring.add(event(id)));
        return ring;
    }

    @Test
    void handsBackTheEventsAfterAnIdOldestFirst() {
        ReplayRing ring = filled(10, 101, 105);
        assertThat(ids(ring.after(102))).containsExactly(103L, 104L, 105L);
        assertThat(ids(ring.after(100))).containsExactly(101L, 102L, 103L, 104L, 105L);
        assertThat(ring.after(105)).as("nothing after the newest").isEmpty();
    }

    @Test
    void whenFullTheOldestLeaves() {
        ReplayRing ring = filled(3, 1, 5);
        assertThat(ring.oldestId()).isEqualTo(3);
        assertThat(ids(ring.after(0))).as("an id below the oldest gets what is held").containsExactly(3L, 4L, 5L);
    }

    @Test
    void addTellsTheChangeInBytesHeld() {
        ReplayRing ring = new ReplayRing(2, 0);
        Event small = new Event("t", 1, "m", "1");
        Event large = new Event("t", 2, "m", "x".repeat(1000));
        Event next = new Event("t", 3, "m", "22");
        assertThat(ring.add(small)).isEqualTo(ReplayRing.weight(small));
        assertThat(ring.add(large)).isEqualTo(ReplayRing.weight(large));
        assertThat(ring.add(next)).as("the new one in, the oldest out")
                .isEqualTo(ReplayRing.weight(next) - ReplayRing.weight(small));
    }

    @Test
    void trimFreesTheOldestUntilEnoughBytesOrOnlyKeepRemain() {
        ReplayRing ring = filled(10, 1, 6);
        long one = ReplayRing.weight(event(1));
        assertThat(ring.trim(one + 1, 1)).as("two events free more than one event's bytes").isEqualTo(2 * one);
        assertThat(ring.oldestId()).isEqualTo(3);
        assertThat(ring.trim(Long.MAX_VALUE, 2)).isEqualTo(2 * one);
        assertThat(ids(ring.after(0))).containsExactly(5L, 6L);
        assertThat(ring.trimTo(0)).isEqualTo(2 * one);
        assertThat(ring.after(0)).isEmpty();
        assertThat(ring.oldestId()).as("empty: one above the newest").isEqualTo(7);
    }

    @Test
    void numberingGoesOnAfterTheRingWasEmptied() {
        ReplayRing ring = filled(4, 1, 3);
        ring.trimTo(0);
        ring.add(event(4));
        assertThat(ids(ring.after(0))).containsExactly(4L);
        assertThat(ring.oldestId()).isEqualTo(4);
    }

    @Test
    void aRingOfNoCapacityHoldsNothingButKnowsTheNewestId() {
        ReplayRing ring = filled(0, 1, 3);
        assertThat(ring.after(0)).isEmpty();
        assertThat(ring.oldestId()).isEqualTo(4);
        assertThat(ring.add(event(4))).isZero();
    }
}
