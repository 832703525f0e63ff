package io.spindle.schedule;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import io.spindle.testing.TestDatabase;

/** The tasks a schedule created, read from the database: each one's fire time (from its key) and creation time. */
final class ScheduledTasks {
    record Fired(Instant fire, Instant created) {
    }

    private ScheduledTasks() {
    }

    static List<Fired> of(TestDatabase.Fresh db, String queue, String schedule) {
        try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement("""
                SELECT idempotency_key, created_at FROM tasks WHERE queue = ? AND schedule = ? ORDER BY id""")) {
            st.setString(1, queue);
            st.setString(2, schedule);
            List<Fired> fired = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    String key = rs.getString(1);
                    String prefix = "schedule:" + schedule + ":";
                    if (!key.startsWith(prefix)) {
                        throw new AssertionError("key " + key + " is not schedule:{name}:{fire time}");
                    }
                    fired.add(new Fired(Instant.parse(key.substring(prefix.length())),
                                        rs.getObject(2, OffsetDateTime.class).toInstant()));
                }
            }
            return fired;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The schedule's next fire time as stored. */
    static Instant nextFire(TestDatabase.Fresh db, String queue, String schedule) {
        try (Connection c = db.connect(); PreparedStatement st = c.prepareStatement(
                "SELECT next_fire FROM schedules WHERE queue = ? AND name = ?")) {
            st.setString(1, queue);
            st.setString(2, schedule);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getObject(1, OffsetDateTime.class).toInstant() : Instant.MIN;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Instant> fireTimes(TestDatabase.Fresh db, String queue, String schedule) {
        return of(db, queue, schedule).stream().map(Fired::fire).sorted().toList();
    }
}
