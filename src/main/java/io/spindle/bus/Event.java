package io.spindle.bus;

/**
 * One event on a topic: its sequence number on that topic as this instance numbers it ({@code id}; 0 for the
 * notices the bus makes itself, {@code lagged} and {@code shutdown}, which carry none), its type, and its data as
 * one line of JSON text.
 */
public record Event(String topic, long id, String type, String data) {
    /** Type of the notice that tells a subscriber how many events it lost. */
    public static final String LAGGED = "lagged";
    /** Type of the last event of a stream that the server ends because it shuts down. */
    public static final String SHUTDOWN = "shutdown";

    /** True for an event that was published; false for a notice of the bus itself. */
    public boolean hasId() {
        return id > 0;
    }

    /** A notice that {@code dropped} events are gone; {@code dropped < 0} means the number is unknown. */
    static Event lagged(String topic, long dropped) {
        return new Event(topic, 0, LAGGED, dropped < 0 ? "{\"dropped\":null}" : "{\"dropped\":" + dropped + "}");
    }

    static Event shutdown(String topic) {
        return new Event(topic, 0, SHUTDOWN, "{}");
    }
}
