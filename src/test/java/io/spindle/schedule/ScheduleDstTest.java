package io.spindle.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.config.Settings;
import io.spindle.testing.Instance;
import io.spindle.testing.Json;
import io.spindle.testing.SettingsChange;
import io.spindle.testing.ShiftedClock;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code 30 2 * * *} in Europe/Berlin across 2026's daylight-saving changes, on a service whose clock is set just
 * before them: on 2026-03-29 (02:30 does not exist) it fires once, at 03:00 CEST (01:00Z); on 2026-10-25 (02:30
 * happens twice) once, at the first 02:30 (00:30Z), not at the second (01:30Z); {@code nextRuns} shows the same
 * instants.
 */
class ScheduleDstTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final TestDatabase.Fresh db = TestDatabase.fresh();
    private final ShiftedClock clock = new ShiftedClock().setTo(Instant.parse("2026-03-28T23:00:00Z"));
    private final Instance spindle = Instance.start(SettingsChange.of(TestServer.settings(db.jdbcUrl(), db))
            .schedules(new Settings.Schedules(Settings.Schedules.MISFIRE_THRESHOLD.defaultValue(), Duration.ofSeconds(1)))
            .build(), clock);

    @AfterEach
    void stop() {
        spindle.close();
        db.close();
    }

    private List<String> nextRuns() {
        JsonNode schedule = Json.parse(spindle.http().get("/v1/queues/reports/schedules/nightly").body());
        List<String> runs = new ArrayList<>();
        schedule.path("nextRuns").forEach(run -> runs.add(run.asText()));
        return runs;
    }

    private List<Instant> fired() {
        return ScheduledTasks.fireTimes(db, "reports", "nightly");
    }

    @Test
    void firesOnceADayAtTheInstantsOfSpecNineAcrossTheGapAndTheOverlap() {
        assertThat(spindle.http().put("/v1/queues/reports", "{\"handler\": {\"type\": \"log\"}, \"paused\": true}").statusCode())
                .isEqualTo(201);
        var put = spindle.http().put("/v1/queues/reports/schedules/nightly", """
                {"cron": "30 2 * * *", "timezone": "Europe/Berlin", "payload": {"kind": "nightly"}}""");
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(nextRuns()).containsExactly("2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z",
                                               "2026-04-01T00:30:00Z", "2026-04-02T00:30:00Z");

        clock.setTo(Instant.parse("2026-03-29T00:59:59.500Z")); // 01:59:59.5 CET, half a second before the gap
        await().atMost(WAIT).until(() -> !fired().isEmpty());
        assertThat(fired()).containsExactly(Instant.parse("2026-03-29T01:00:00Z"));
        assertThat(nextRuns()).startsWith("2026-03-30T00:30:00Z");

        // autumn: the days between pass with the service down (catchUp none skips them)
        clock.setTo(Instant.parse("2026-10-24T22:00:00Z"));
        await().atMost(WAIT).until(() -> ScheduledTasks.nextFire(db, "reports", "nightly")
                .equals(Instant.parse("2026-10-25T00:30:00Z"))); // the scheduler skipped the days between
        assertThat(nextRuns()).containsExactly("2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z",
                                               "2026-10-28T01:30:00Z", "2026-10-29T01:30:00Z");
        clock.setTo(Instant.parse("2026-10-25T00:29:59.500Z")); // 02:29:59.5 CEST, the first pass
        await().atMost(WAIT).until(() -> fired().size() == 2);
        clock.setTo(Instant.parse("2026-10-25T01:29:59.500Z")); // 02:29:59.5 CET, the second pass
        Instant secondPass = Instant.now();
        await().atMost(WAIT).pollDelay(Duration.ofSeconds(3))
                .until(() -> Duration.between(secondPass, Instant.now()).compareTo(Duration.ofSeconds(3)) >= 0);
        assertThat(fired()).as("the second 02:30 does not fire")
                .containsExactly(Instant.parse("2026-03-29T01:00:00Z"), Instant.parse("2026-10-25T00:30:00Z"));
        assertThat(nextRuns()).startsWith("2026-10-26T01:30:00Z");

        JsonNode schedule = Json.parse(spindle.http().get("/v1/queues/reports/schedules/nightly").body());
        assertThat(schedule.path("lastRun").path("at").asText()).isEqualTo("2026-10-25T00:30:00Z");
        String taskId = schedule.path("lastRun").path("taskId").asText();
        JsonNode task = Json.parse(spindle.http().get("/v1/queues/reports/tasks/" + taskId).body());
        assertThat(task.path("schedule").asText()).isEqualTo("nightly");
        assertThat(task.path("key").asText()).isEqualTo("schedule:nightly:2026-10-25T00:30:00Z");
        assertThat(task.path("payload")).isEqualTo(Json.parse("{\"kind\": \"nightly\"}"));
    }
}
