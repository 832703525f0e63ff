package io.spindle.schedule;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A schedule as the API shows it: with its next fire times (none while paused) and the last task it created. */
public record ScheduleView(Schedule schedule, List<Instant> nextRuns, Optional<LastRun> lastRun) {

    /** The fire time of the latest task the schedule created, and that task's id. */
    public record LastRun(Instant at, long taskId) {
    }
}
