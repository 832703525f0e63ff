package io.spindle.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Spindle's notification channels and their payloads: {@code <instance>|<item>,<item>,...}. The sender's
 * instance id lets a receiver skip what it already handled in process. NOTIFY serialises commits, so
 * everything is sent through the {@link Notifier}, coalesced, outside the transactions it reports on.
 */
public final class Notifications {
    /** Tasks became due or pending in the listed queues. */
    public static final String WAKE = "spindle_wake";
    /** The listed tasks reached a final state. */
    public static final String DONE = "spindle_done";
    /** The listed queues' configuration changed. */
    public static final String QUEUES = "spindle_queues";
    /** The listed schedules ({@code queue/name}) were created, replaced, paused or resumed. */
    public static final String SCHEDULES = "spindle_schedules";
    /** Topic bus traffic between instances: batches of events, and changes of which topics an instance wants. */
    public static final String EVENTS = "spindle_events";

    /** PostgreSQL refuses payloads of 8,000 bytes or more; every payload Spindle sends stays within this. */
    public static final int MAX_PAYLOAD = 7_900;

    /** The one NOTIFY statement: {@code payloads[i]} on {@code channels[i]}, in array order. */
    private static final String SEND = "SELECT count(pg_notify(c, p)) FROM unnest(?::text[], ?::text[]) AS x(c, p)";

    private Notifications() {
    }

    /** A received payload, split. */
    public record Message(String instance, java.util.List<String> items) {
        public static Optional<Message> parse(String payload) {
            int bar = payload == null ? -1 : payload.indexOf('|');
            if (bar < 0) {
                return Optional.empty();
            }
            String rest = payload.substring(bar + 1);
            return Optional.of(new Message(payload.substring(0, bar),
                                           rest.isEmpty() ? java.util.List.of() : java.util.List.of(rest.split(","))));
        }
    }

    /**
     * Sends each payload on its channel in one statement, on the caller's connection (inside its transaction,
     * when it has one: the notifications are then delivered at commit). Receivers see them in list order.
     */
    public static void send(Connection c, List<String> channels, List<String> payloads) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(SEND)) {
            st.setArray(1, c.createArrayOf("text", channels.toArray()));
            st.setArray(2, c.createArrayOf("text", payloads.toArray()));
            st.executeQuery().close();
        }
    }

    /** The payloads that carry {@code items}, split so that none reaches PostgreSQL's limit. */
    static List<String> payloads(String instance, Collection<String> items) {
        List<String> payloads = new ArrayList<>();
        StringBuilder payload = new StringBuilder(instance).append('|');
        int emptyLength = payload.length();
        for (String item : items) {
            if (payload.length() + item.length() + 1 > MAX_PAYLOAD && payload.length() > emptyLength) {
                payloads.add(payload.toString());
                payload.setLength(emptyLength);
            }
            if (payload.length() > emptyLength) {
                payload.append(',');
            }
            payload.append(item);
        }
        payloads.add(payload.toString());
        return payloads;
    }
}
