package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.random.RandomGenerator;

import io.spindle.task.Queue;
import org.junit.jupiter.api.Test;

/** The backoff between attempts, on a fixed source of jitter. */
class BackoffTest {
    private static final Queue.RetryPolicy POLICY = new Queue.RetryPolicy(10, Duration.ofSeconds(1), Duration.ofSeconds(60));

    @Test
    void doublesFromTheMinimumUpToTheMaximumWithoutJitter() {
        Backoff backoff = new Backoff(fixed(0.0));
        assertThat(backoff.after(POLICY, 1, Optional.empty())).isEqualTo(Duration.ofSeconds(1));
        assertThat(backoff.after(POLICY, 2, Optional.empty())).isEqualTo(Duration.ofSeconds(2));
        assertThat(backoff.after(POLICY, 4, Optional.empty())).isEqualTo(Duration.ofSeconds(8));
        assertThat(backoff.after(POLICY, 7, Optional.empty())).isEqualTo(Duration.ofSeconds(60));
        assertThat(backoff.after(POLICY, 1000, Optional.empty())).as("no overflow").isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void jitterAddsUpToAFifthButNeverPassesTheMaximum() {
        Backoff backoff = new Backoff(fixed(0.999_999));
        assertThat(backoff.after(POLICY, 3, Optional.empty())).isBetween(Duration.ofMillis(4_799), Duration.ofMillis(4_800));
        assertThat(backoff.after(POLICY, 6, Optional.empty())).as("32 s + 20 %% is under the cap")
                .isBetween(Duration.ofMillis(38_399), Duration.ofMillis(38_400));
        assertThat(backoff.after(POLICY, 7, Optional.empty())).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void aLaterRetryAfterWinsAndAnEarlierOneDoesNot() {
        Backoff backoff = new Backoff(fixed(0.0));
        assertThat(backoff.after(POLICY, 1, Optional.of(Duration.ofSeconds(30)))).isEqualTo(Duration.ofSeconds(30));
        assertThat(backoff.after(POLICY, 3, Optional.of(Duration.ofSeconds(1)))).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void aZeroMinimumRetriesAtOnce() {
        Backoff backoff = new Backoff(fixed(0.5));
        Queue.RetryPolicy immediate = new Queue.RetryPolicy(3, Duration.ZERO, Duration.ZERO);
        assertThat(backoff.after(immediate, 2, Optional.empty())).isZero();
    }

    static RandomGenerator fixed(double value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }
}
