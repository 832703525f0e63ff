package io.spindle.db;

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
    /** Topic bus traffic between instances: batches of events, and changes of which topics an instance wants. */
    public static final String EVENTS = "spindle_events";

    /** PostgreSQL refuses payloads of 8,000 bytes or more. */
    private static final int MAX_PAYLOAD = 7_900;

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
