package io.spindle.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;

import io.spindle.config.Settings;
import io.spindle.testing.Instance;
import io.spindle.testing.SettingsChange;
import io.spindle.testing.ShiftedClock;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Late and missed fire times, on a clock the test moves on: a fire time reached within
 * {@code schedules.misfire-threshold} (5 s) is created late, whatever {@code catchUp}; one reached later was
 * missed, and {@code none} skips it while {@code last} creates one task for the latest of those missed.
 */
class MissedFireTimesTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final TestDatabase.Fresh db = TestDatabase.fresh();
    private final ShiftedClock clock = new ShiftedClock().setTo(Instant.parse("2030-01-01T00:00:00Z"));
    private final Instance spindle = Instance.start(SettingsChange.of(TestServer.settings(db.jdbcUrl(), db))
            .schedules(new Settings.Schedules(Duration.ofSeconds(5), Duration.ofSeconds(1))).build(), clock);

    @AfterEach
    void stop() {
        spindle.close();
        db.close();
    }

    private static Instant at(String minuteAndSecond) {
        return Instant.parse("2030-01-01T00:" + minuteAndSecond + "Z");
    }

    @Test
    void lateFireTimesAreCreatedAndMissedOnesGoByCatchUp() {
        assertThat(spindle.http().put("/v1/queues/minutes", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}")
                           .statusCode()).isEqualTo(201);
        for (String catchUp : new String[] {"none", "last"}) {
            assertThat(spindle.http().put("/v1/queues/minutes/schedules/" + catchUp,
                    "{\"every\": \"PT1M\", \"catchUp\": \"" + catchUp + "\"}").statusCode()).isEqualTo(201);
        }

        clock.setTo(at("01:03")); // 3 s after 00:01:00, within the threshold
        await().atMost(WAIT).until(() -> fired("none").size() == 1 && fired("last").size() == 1);
        assertThat(ScheduledTasks.fireTimes(db, "minutes", "none")).containsExactly(at("01:00"));

        clock.setTo(at("02:07")); // 7 s after 00:02:00: missed
        await().atMost(WAIT).until(() -> fired("last").size() == 2
                && ScheduledTasks.nextFire(db, "minutes", "none").equals(at("03:00")));
        assertThat(ScheduledTasks.fireTimes(db, "minutes", "none")).as("none skips it").containsExactly(at("01:00"));
        assertThat(ScheduledTasks.fireTimes(db, "minutes", "last")).as("last creates it")
                .containsExactly(at("01:00"), at("02:00"));

        clock.setTo(at("05:30")); // 00:03, 00:04 and 00:05 missed
        await().atMost(WAIT).until(() -> ScheduledTasks.nextFire(db, "minutes", "none").equals(at("06:00"))
                && ScheduledTasks.nextFire(db, "minutes", "last").equals(at("06:00")));
        assertThat(ScheduledTasks.fireTimes(db, "minutes", "none")).containsExactly(at("01:00"));
        assertThat(ScheduledTasks.fireTimes(db, "minutes", "last")).as("one task, for the latest missed")
                .containsExactly(at("01:00"), at("02:00"), at("05:00"));
    }

    private java.util.List<ScheduledTasks.Fired> fired(String schedule) {
        return ScheduledTasks.of(db, "minutes", schedule);
    }
}
