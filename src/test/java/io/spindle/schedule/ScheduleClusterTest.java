package io.spindle.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import io.spindle.config.Settings;
import io.spindle.testing.Instance;
import io.spindle.testing.SettingsChange;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Schedules on three instances of one database (SPEC §9): each fire time yields exactly one task, created within a
 * second; after all instances were down, {@code catchUp: none} creates none of the missed fire times and
 * {@code last} exactly one, with no duplicate afterwards.
 */
class ScheduleClusterTest {
    private final TestDatabase.Fresh db = TestDatabase.fresh();
    private final List<Instance> instances = new ArrayList<>();

    @AfterEach
    void stop() {
        stopAll();
        db.close();
    }

    private void startThree(Settings settings) {
        for (int i = 0; i < 3; i++) {
            instances.add(Instance.start(settings, Clock.systemUTC()));
        }
    }

    private void stopAll() {
        instances.parallelStream().forEach(Instance::close);
        instances.clear();
    }

    private Settings settings(Duration misfireThreshold) {
        Settings base = TestServer.settings(db.jdbcUrl(), db);
        return SettingsChange.of(base).schedules(new Settings.Schedules(misfireThreshold, Duration.ofMinutes(1))).build();
    }

    @Test
    void everySecondOnThreeInstancesMakesExactlyOneTaskPerFireTimeWithinASecond() {
        startThree(settings(Settings.Schedules.MISFIRE_THRESHOLD.defaultValue()));
        assertThat(instances.get(0).http().put("/v1/queues/ticks", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}")
                           .statusCode()).isEqualTo(201);
        assertThat(instances.get(1).http().put("/v1/queues/ticks/schedules/tick", "{\"every\": \"PT1S\", \"payload\": {\"n\": 1}}")
                           .statusCode()).isEqualTo(201);
        Instant created = Instant.now();
        await().atMost(Duration.ofSeconds(12)).pollInterval(Duration.ofMillis(50))
                .until(() -> !Instant.now().isBefore(created.plusSeconds(10)));
        assertThat(instances.get(2).http().post("/v1/queues/ticks/schedules/tick/pause", "").statusCode()).isEqualTo(200);

        List<ScheduledTasks.Fired> fired = ScheduledTasks.of(db, "ticks", "tick");
        assertThat(fired).hasSizeBetween(9, 11);
        assertThat(new HashSet<>(fired.stream().map(ScheduledTasks.Fired::fire).toList()))
                .as("no two tasks of one fire time").hasSameSizeAs(fired);
        List<Instant> times = fired.stream().map(ScheduledTasks.Fired::fire).sorted().toList();
        for (int i = 1; i < times.size(); i++) {
            assertThat(Duration.between(times.get(i - 1), times.get(i))).as("no fire time left out").isEqualTo(Duration.ofSeconds(1));
        }
        assertThat(times.getFirst()).isBetween(created.minusSeconds(1), created.plusSeconds(1));
        for (ScheduledTasks.Fired f : fired) {
            assertThat(Duration.between(f.fire(), f.created())).as("lateness of %s", f.fire())
                    .isBetween(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    @Test
    void afterAllInstancesWereDownNoneCreatesNoMissedFireTimeAndLastExactlyOne() {
        Settings settings = settings(Duration.ofSeconds(1));
        startThree(settings);
        assertThat(instances.get(0).http().put("/v1/queues/restart", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}")
                           .statusCode()).isEqualTo(201);
        assertThat(instances.get(0).http().put("/v1/queues/restart/schedules/skip", "{\"every\": \"PT2S\", \"catchUp\": \"none\"}")
                           .statusCode()).isEqualTo(201);
        assertThat(instances.get(1).http().put("/v1/queues/restart/schedules/last", "{\"every\": \"PT2S\", \"catchUp\": \"last\"}")
                           .statusCode()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> ScheduledTasks.fireTimes(db, "restart", "skip").size() >= 2
                && ScheduledTasks.fireTimes(db, "restart", "last").size() >= 2);

        stopAll();
        Instant stopped = Instant.now();
        Instant lastSkip = ScheduledTasks.fireTimes(db, "restart", "skip").getLast();
        Instant lastLast = ScheduledTasks.fireTimes(db, "restart", "last").getLast();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> !Instant.now().isBefore(stopped.plusSeconds(7))); // three fire times pass with no instance
        Instant restarted = Instant.now();
        assertThat(ScheduledTasks.fireTimes(db, "restart", "skip").getLast()).as("nothing while down").isEqualTo(lastSkip);
        startThree(settings);
        await().atMost(Duration.ofSeconds(15)).until(() ->
                ScheduledTasks.fireTimes(db, "restart", "skip").getLast().isAfter(restarted.plusSeconds(2))
                && ScheduledTasks.fireTimes(db, "restart", "last").getLast().isAfter(restarted.plusSeconds(2)));

        List<Instant> skip = ScheduledTasks.fireTimes(db, "restart", "skip");
        List<Instant> last = ScheduledTasks.fireTimes(db, "restart", "last");
        assertThat(new HashSet<>(skip)).as("no duplicate").hasSameSizeAs(skip);
        assertThat(new HashSet<>(last)).as("no duplicate").hasSameSizeAs(last);
        Instant firstSkipAfter = skip.stream().filter(t -> t.isAfter(lastSkip)).findFirst().orElseThrow();
        assertThat(firstSkipAfter).as("none: the fire times that passed while down are skipped").isAfter(restarted);
        List<Instant> lastAfter = last.stream().filter(t -> t.isAfter(lastLast)).toList();
        // Both schedules fire on one grid. last's first task is the latest fire time that passed: the one before
        // skip's first, or, when that one passed while the instances were still starting (within the misfire
        // threshold), skip's first itself, which both then create late.
        assertThat(lastAfter.getFirst()).as("last: one task, for the latest missed fire time")
                .isIn(firstSkipAfter.minusSeconds(2), firstSkipAfter)
                .isAfter(restarted.minusSeconds(3));
        assertThat(lastAfter.stream().filter(t -> t.isBefore(firstSkipAfter)).toList())
                .as("last: at most that one before skip goes on").hasSizeLessThanOrEqualTo(1);
        assertThat(Duration.between(lastLast, lastAfter.getFirst())).as("the older missed fire times are not created")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(6));
        for (List<Instant> times : List.of(skip.stream().filter(t -> !t.isBefore(firstSkipAfter)).toList(), lastAfter)) {
            for (int i = 1; i < times.size(); i++) {
                assertThat(Duration.between(times.get(i - 1), times.get(i))).as("goes on").isEqualTo(Duration.ofSeconds(2));
            }
        }
    }
}
