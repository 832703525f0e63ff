package io.spindle.bus;

import java.util.Objects;
import java.util.function.Function;

/**
 * One event on a topic: its sequence number on that topic as this instance numbers it ({@code id}; 0 for the
 * notices the bus makes itself, {@code lagged} and {@code shutdown}, which carry none), its type, and its data as
 * one line of JSON text.
 *
 * <p>A value class rather than a record only so that it can carry its wire form: one event goes to every
 * subscriber of its topic, and {@link #encoded} lets the first writer's encoding serve all the others.
 */
public final class Event {
    /** Type of the notice that tells a subscriber how many events it lost. */
    public static final String LAGGED = "lagged";
    /** Type of the last event of a stream that the server ends because it shuts down. */
    public static final String SHUTDOWN = "shutdown";

    private final String topic;
    private final long id;
    private final String type;
    private final String data;
    private volatile byte[] encoded;

    public Event(String topic, long id, String type, String data) {
        this.topic = Objects.requireNonNull(topic);
        this.id = id;
        this.type = Objects.requireNonNull(type);
        this.data = Objects.requireNonNull(data);
    }

    public String topic() {
        return topic;
    }

    public long id() {
        return id;
    }

    public String type() {
        return type;
    }

    public String data() {
        return data;
    }

    /** True for an event that was published; false for a notice of the bus itself. */
    public boolean hasId() {
        return id > 0;
    }

    /**
     * The event as {@code encoder} writes it, computed once: every later call returns the first result (two
     * threads racing may both encode; either result is kept). There is one wire format, so one encoder.
     */
    public byte[] encoded(Function<Event, byte[]> encoder) {
        byte[] bytes = encoded;
        if (bytes == null) {
            bytes = encoder.apply(this);
            encoded = bytes;
        }
        return bytes;
    }

    /** A notice that {@code dropped} events are gone; {@code dropped < 0} means the number is unknown. */
    static Event lagged(String topic, long dropped) {
        return new Event(topic, 0, LAGGED, dropped < 0 ? "{\"dropped\":null}" : "{\"dropped\":" + dropped + "}");
    }

    static Event shutdown(String topic) {
        return new Event(topic, 0, SHUTDOWN, "{}");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Event e && id == e.id && topic.equals(e.topic) && type.equals(e.type) && data.equals(e.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, id, type, data);
    }

    @Override
    public String toString() {
        return "Event[topic=" + topic + ", id=" + id + ", type=" + type + ", data=" + data + "]";
    }
}
