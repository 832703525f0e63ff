package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;

import io.spindle.config.Settings;
import io.spindle.http.ConnectionRules.Phase;
import io.spindle.http.ConnectionRules.Reason;
import io.spindle.http.ConnectionRules.Stage;
import org.junit.jupiter.api.Test;

/** The guard's rules on a fixed clock: header timeout 10 s, body rate 1,024 bytes/s, idle timeout 60 s. */
class ConnectionRulesTest {
    private static final ConnectionRules RULES = ConnectionRules.of(
            new Settings.Connections(0, 256, Duration.ofSeconds(10), 1024, Duration.ofSeconds(60)));
    private static final long START = 1_000_000_000_000L;

    private static long at(Duration afterStart) {
        return START + afterStart.toNanos();
    }

    @Test
    void headersGetTheHeaderTimeoutFromTheirStart() {
        Phase headers = new Phase(Stage.HEADERS, START, 0);

        assertThat(RULES.verdict(headers, at(Duration.ofMillis(9_999)), 40, true)).isEmpty();
        assertThat(RULES.verdict(headers, at(Duration.ofSeconds(10)), 40, true)).contains(Reason.HEADER_TIMEOUT);
    }

    @Test
    void aBodyEarnsTimeWithEveryByteAtTheMinimumRate() {
        Phase body = new Phase(Stage.BODY, START, 500);

        // 10 s, plus 2 s for the 2,048 bytes received since the body began
        assertThat(RULES.verdict(body, at(Duration.ofMillis(11_999)), 500 + 2048, true)).isEmpty();
        assertThat(RULES.verdict(body, at(Duration.ofSeconds(12)), 500 + 2048, true)).contains(Reason.SLOW_BODY);
        assertThat(RULES.verdict(body, at(Duration.ofSeconds(10)), 500, true)).contains(Reason.SLOW_BODY);
    }

    @Test
    void aBodyTheServerIsNotWaitingForIsNotTheClientsDelay() {
        Phase body = new Phase(Stage.BODY, START, 0);

        assertThat(RULES.verdict(body, at(Duration.ofMinutes(5)), 10, false)).isEmpty();
    }

    @Test
    void aConnectionWaitingForItsNextRequestIsIdleAfterTheIdleTimeout() {
        Phase waiting = new Phase(Stage.WAITING, START, 0);

        assertThat(RULES.verdict(waiting, at(Duration.ofSeconds(59)), 0, true)).isEmpty();
        assertThat(RULES.verdict(waiting, at(Duration.ofSeconds(60)), 0, true)).contains(Reason.IDLE);
    }

    @Test
    void handlingAndRespondingHaveNoLimitHere() {
        for (Stage stage : new Stage[] {Stage.HANDLING, Stage.RESPONDING, Stage.CUT}) {
            assertThat(RULES.verdict(new Phase(stage, START, 0), at(Duration.ofHours(1)), 0, true))
                    .as(stage.name()).isEqualTo(Optional.empty());
        }
    }
}
