package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.spindle.task.AttemptEnd;
import io.spindle.task.Queue;
import io.spindle.task.Task;
import io.spindle.task.TaskState;
import org.junit.jupiter.api.Test;

/** The one rule for a failed attempt that may pass later: retry after the backoff, unless none is left. */
class RetryDecisionTest {
    private static final Queue.RetryPolicy POLICY = new Queue.RetryPolicy(5, Duration.ofSeconds(2), Duration.ofMinutes(1));
    private final RetryDecision decision = new RetryDecision(new Backoff(BackoffTest.fixed(0.0)));

    @Test
    void anAttemptWithOthersLeftIsRetriedAfterTheBackoff() {
        assertThat(decision.afterFailure(running(2, 3), POLICY, "503", Optional.empty()))
                .isEqualTo(new AttemptEnd.Retry("503", Duration.ofSeconds(4)));
    }

    @Test
    void theLastAttemptFailsTheTaskAndSaysSo() {
        assertThat(decision.afterFailure(running(3, 3), POLICY, "503", Optional.of(Duration.ofHours(1))))
                .isEqualTo(new AttemptEnd.Failed("503 (attempt 3 of 3, none left)"));
    }

    @Test
    void theTasksOwnMaxAttemptsCountsNotTheQueuesDefault() {
        assertThat(decision.afterFailure(running(1, 1), POLICY, "lease expired", Optional.empty()))
                .isInstanceOf(AttemptEnd.Failed.class);
        assertThat(decision.afterFailure(running(5, 9), POLICY, "lease expired", Optional.empty()))
                .isInstanceOf(AttemptEnd.Retry.class);
    }

    private static Task running(int attempts, int maxAttempts) {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        return new Task(1, "q", TaskState.RUNNING, "{}", 0, now, attempts, maxAttempts, null, null, null, now, now, null, null);
    }
}
