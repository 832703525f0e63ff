package io.spindle.bus;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import io.spindle.db.Database;
import io.spindle.db.Notifications;

/**
 * The bus's SQL: notifications to other instances, the events too large for a notification, and which topics
 * each instance wants.
 */
final class BusStore {
    /** An event kept in {@code bus_events} because it does not fit a notification. */
    record Stored(UUID id, String topic, String type, String data) {
    }

    private final Database database;

    BusStore(Database database) {
        this.database = database;
    }

    /**
     * Sends the payloads on {@link Notifications#EVENTS} in one transaction, after storing the events they refer
     * to, so that a receiver that gets a reference can read its row. One transaction, whatever the batch: NOTIFY
     * serialises commits across the database.
     */
    void send(List<String> payloads, List<Stored> large) {
        if (large.isEmpty()) {
            database.run(c -> {
                notify(c, payloads);
                return null;
            });
            return;
        }
        database.inTransaction(c -> {
            insertLarge(c, large);
            notify(c, payloads);
        });
    }

    /** The stored events with these ids that still exist. */
    List<Stored> fetch(Collection<UUID> ids) {
        return database.run(c -> Database.list(c, "SELECT id, topic, type, data FROM bus_events WHERE id = ANY (?)",
                rs -> new Stored(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4)),
                c.createArrayOf("uuid", ids.toArray())));
    }

    /** Records the topics this instance wants until {@code ttl} from now, and tells the others. */
    void saveInterest(String instance, Set<String> topics, Duration ttl, String announcement) {
        database.inTransaction(c -> {
            Database.update(c, """
                    INSERT INTO bus_interest (instance, topics, expires_at)
                    VALUES (?, ?, now() + make_interval(secs => ?))
                    ON CONFLICT (instance) DO UPDATE SET topics = excluded.topics, expires_at = excluded.expires_at
                    """, instance, c.createArrayOf("text", topics.toArray()), seconds(ttl));
            notify(c, List.of(announcement));
        });
    }

    /**
     * Extends this instance's interest by {@code ttl} from now.
     *
     * @return false if there was no row to extend (it expired, or the table was emptied by a crash)
     */
    boolean extendInterest(String instance, Duration ttl) {
        return database.update("UPDATE bus_interest SET expires_at = now() + make_interval(secs => ?) WHERE instance = ?",
                               seconds(ttl), instance) > 0;
    }

    /** Withdraws this instance's interest and tells the others. */
    void deleteInterest(String instance, String announcement) {
        database.inTransaction(c -> {
            Database.update(c, "DELETE FROM bus_interest WHERE instance = ?", instance);
            notify(c, List.of(announcement));
        });
    }

    /** The topics that other live instances want. */
    Set<String> othersInterest(String instance) {
        return new HashSet<>(database.list("""
                SELECT DISTINCT t FROM bus_interest, unnest(topics) AS t
                WHERE instance <> ? AND expires_at > now()
                """, rs -> rs.getString(1), instance));
    }

    /** Deletes stored events older than {@code age}. */
    int deleteStoredBefore(Duration age) {
        return database.update("DELETE FROM bus_events WHERE created_at < now() - make_interval(secs => ?)", seconds(age));
    }

    /** Deletes the interest of instances that stopped refreshing it. */
    int deleteExpiredInterest() {
        return database.update("DELETE FROM bus_interest WHERE expires_at < now()");
    }

    private static double seconds(Duration duration) {
        return duration.toMillis() / 1000.0;
    }

    private static void insertLarge(Connection c, List<Stored> large) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("""
                INSERT INTO bus_events (id, topic, type, data)
                SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[])
                """)) {
            st.setArray(1, c.createArrayOf("uuid", large.stream().map(Stored::id).toArray()));
            st.setArray(2, c.createArrayOf("text", large.stream().map(Stored::topic).toArray()));
            st.setArray(3, c.createArrayOf("text", large.stream().map(Stored::type).toArray()));
            st.setArray(4, c.createArrayOf("text", large.stream().map(Stored::data).toArray()));
            st.executeUpdate();
        }
    }

    /** The payloads are notified in array order, which receivers rely on for per-topic order. */
    private static void notify(Connection c, List<String> payloads) throws SQLException {
        Notifications.send(c, Collections.nCopies(payloads.size(), Notifications.EVENTS), payloads);
    }
}
