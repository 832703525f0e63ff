package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.config.Settings;
import org.junit.jupiter.api.Test;

/**
 * Per-client limits on an injected clock: permits per window, what the headers say, refusals, the cap on one
 * charge, and the bound on open streams.
 */
class ClientLimitsTest {
    private static final long SECOND = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private ClientLimits limits(int permits, int periodSeconds, int maxStreams) {
        return new ClientLimits(new Settings.ClientLimits(true, permits, Duration.ofSeconds(periodSeconds), 100,
                                                          Duration.ofMinutes(5), maxStreams),
                                new SecurityMetrics(registry), now::get);
    }

    @Test
    void permitsPerWindowThenRefusalUntilTheWindowResets() {
        ClientLimits limits = limits(3, 10, 10);
        assertThat(limits.policyHeader()).isEqualTo("\"clients\";q=3;w=10");

        ClientLimits.Decision first = limits.acquire("key:a", 1);
        assertThat(first).isEqualTo(new ClientLimits.Decision(true, 2, 10));
        assertThat(ClientLimits.header(first)).isEqualTo("\"clients\";r=2;t=10");

        now.addAndGet(4 * SECOND);
        assertThat(limits.acquire("key:a", 1)).isEqualTo(new ClientLimits.Decision(true, 1, 6));
        assertThat(limits.acquire("key:a", 1)).isEqualTo(new ClientLimits.Decision(true, 0, 6));
        ClientLimits.Decision refused = limits.acquire("key:a", 1);
        assertThat(refused).isEqualTo(new ClientLimits.Decision(false, 0, 6));
        assertThat(refused.retryAfterSeconds()).isEqualTo(6);
        assertThat(registry.get("spindle.ratelimit.refusals").tag("limit", "requests").counter().count()).isEqualTo(1);

        now.addAndGet(6 * SECOND);
        assertThat(limits.acquire("key:a", 1)).isEqualTo(new ClientLimits.Decision(true, 2, 10));
    }

    @Test
    void eachClientHasItsOwnLimiter() {
        ClientLimits limits = limits(1, 1, 10);
        assertThat(limits.acquire("key:a", 1).permitted()).isTrue();
        assertThat(limits.acquire("key:a", 1).permitted()).isFalse();
        assertThat(limits.acquire("key:b", 1).permitted()).isTrue();
        assertThat(limits.acquire("addr:127.0.0.1", 1).permitted()).isTrue();
        assertThat(limits.liveLimiters()).isEqualTo(3);
    }

    @Test
    void aChargeTakesAllItsPermitsOrNone() {
        ClientLimits limits = limits(10, 1, 10);
        assertThat(limits.acquire("key:a", 7).remaining()).isEqualTo(3);
        ClientLimits.Decision refused = limits.acquire("key:a", 4);
        assertThat(refused.permitted()).isFalse();
        assertThat(refused.remaining()).as("nothing taken").isEqualTo(3);
        assertThat(limits.acquire("key:a", 3).permitted()).isTrue();
    }

    @Test
    void aChargeAboveTheLimitCostsTheWholeLimitSoThatItIsPossibleAtAll() {
        ClientLimits limits = limits(5, 1, 10);
        ClientLimits.Decision big = limits.acquire("key:a", 500);
        assertThat(big.permitted()).isTrue();
        assertThat(big.remaining()).isZero();
    }

    @Test
    void disabledLimitsPermitEverything() {
        ClientLimits limits = new ClientLimits(new Settings.ClientLimits(false, 1, Duration.ofSeconds(1), 100,
                                                                         Duration.ofMinutes(5), 10),
                                               new SecurityMetrics(registry), now::get);
        for (int i = 0; i < 100; i++) {
            assertThat(limits.acquire("key:a", 1).permitted()).isTrue();
        }
        assertThat(limits.enabled()).isFalse();
        assertThat(limits.liveLimiters()).isZero();
    }

    @Test
    void openStreamsAreBoundedPerClientAndFreedOnce() {
        ClientLimits limits = limits(100, 1, 2);
        Optional<ClientLimits.StreamSlot> one = limits.openStream("key:a");
        Optional<ClientLimits.StreamSlot> two = limits.openStream("key:a");
        assertThat(one).isPresent();
        assertThat(two).isPresent();
        assertThat(limits.openStream("key:a")).isEmpty();
        assertThat(limits.openStream("key:b")).as("another client").isPresent();
        assertThat(registry.get("spindle.ratelimit.refusals").tag("limit", "streams").counter().count()).isEqualTo(1);

        one.get().close();
        one.get().close(); // twice frees one slot only
        Optional<ClientLimits.StreamSlot> three = limits.openStream("key:a");
        assertThat(three).isPresent();
        assertThat(limits.openStream("key:a")).isEmpty();
        two.get().close();
        three.get().close();
        assertThat(limits.openStreams()).isEqualTo(1); // key:b's
        assertThat(registry.get("spindle.ratelimit.streams").gauge().value()).isEqualTo(1);
    }

    @Test
    void closingRemovesTheGaugesSoANewInstanceCanRegisterItsOwn() {
        ClientLimits first = limits(10, 1, 10);
        first.acquire("key:a", 1);
        assertThat(registry.get("spindle.ratelimit.clients").gauge().value()).isEqualTo(1);
        first.close();
        assertThat(registry.find("spindle.ratelimit.clients").gauge()).isNull();

        ClientLimits second = limits(10, 1, 10);
        assertThat(registry.get("spindle.ratelimit.clients").gauge().value()).isZero();
        second.close();
    }
}
