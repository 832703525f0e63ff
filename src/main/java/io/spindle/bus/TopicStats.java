package io.spindle.bus;

/**
 * A topic as this instance sees it: its subscribers here, the events published on it here (including those
 * forwarded from other instances), the events its subscribers lost for lag, and the id of its newest event
 * (0 before the first).
 */
public record TopicStats(String name, int subscribers, long published, long dropped, long lastEventId) {
}
