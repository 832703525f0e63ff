package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

class ConnectionBudgetTest {
    private static final ConnectionBudget.Needs NEEDS = new ConnectionBudget.Needs(150, 20, 1, 64);

    @Test
    void theBoundIsTheLimitLessWhatTheProcessNeedsAndAFivePercentMargin() {
        ConnectionBudget budget = ConnectionBudget.compute(0, OptionalLong.of(4096), NEEDS);

        // 150 open + 20 pool + 1 LISTEN + 64 backends + 205 (5 % of 4,096, rounded up)
        assertThat(budget.reserved()).isEqualTo(440);
        assertThat(budget.max()).isEqualTo(4096 - 440);
        assertThat(budget.computed()).isTrue();
        assertThat(budget.acceptLimit()).as("the bound and the margin").isEqualTo(3656 + 205);
        assertThat(budget.describe()).contains("at most 3656", "descriptor limit 4096", "reserved 440", "pause at 3861");
    }

    @Test
    void aLimitTooSmallForTheReserveStillLeavesTheFloor() {
        ConnectionBudget budget = ConnectionBudget.compute(0, OptionalLong.of(200), NEEDS);

        assertThat(budget.max()).isEqualTo(ConnectionBudget.FLOOR);
    }

    @Test
    void aConfiguredBoundWinsOverTheComputedOne() {
        ConnectionBudget budget = ConnectionBudget.compute(500, OptionalLong.of(4096), NEEDS);

        assertThat(budget.max()).isEqualTo(500);
        assertThat(budget.computed()).isFalse();
        assertThat(budget.describe()).contains("set by server.connections.max");
    }

    @Test
    void anUnknownLimitGivesTheFixedDefault() {
        ConnectionBudget budget = ConnectionBudget.compute(0, OptionalLong.empty(), NEEDS);

        assertThat(budget.max()).isEqualTo(ConnectionBudget.UNKNOWN_LIMIT_MAX);
        assertThat(budget.describe()).contains("descriptor limit unknown");
    }

    @Test
    void thisProcessHasABoundBelowItsDescriptorLimit() {
        ConnectionBudget budget = ConnectionBudget.ofThisProcess(0, 20, 1, 64);

        assertThat(budget.limit()).isPositive();
        assertThat(budget.max()).isLessThan((int) budget.limit()).isGreaterThanOrEqualTo(ConnectionBudget.FLOOR);
    }
}
