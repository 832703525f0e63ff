package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.spindle.config.Settings;
import io.spindle.testing.RawHttp;
import io.spindle.testing.Exposition;
import io.spindle.testing.TestServer;
import io.spindle.testing.SettingsChange;
import org.junit.jupiter.api.Test;

/**
 * The bound on client limiters, end to end: anonymous clients are told apart by address, and 2,000 of them
 * (each from an address of its own in 127.0.0.0/8) leave at most {@code max-clients} limiters behind, as the
 * {@code spindle_ratelimit_clients} gauge shows, while each of them is served.
 */
class ClientFloodHttpTest {
    private static final int CLIENTS = 2_000;
    private static final int BOUND = 100;

    @Test
    void manyAddressesLeaveAtMostTheBoundOfLimiters() throws Exception {
        try (TestServer server = TestServer.start(s -> SettingsChange.of(s).clientLimits(new Settings.ClientLimits(
                true, 5, Duration.ofSeconds(60), BOUND, Duration.ofMinutes(5), 10)).build())) {
            byte[] request = "GET /v1/queues/default HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1);
            double largest = 0;
            for (int i = 0; i < CLIENTS; i++) {
                InetAddress from = InetAddress.getByAddress(new byte[] {127, 1, (byte) ((i + 1) >> 8), (byte) (i + 1)});
                RawHttp.Response response = RawHttp.exchange(from, server.port(), request, false, Duration.ofSeconds(10));
                assertThat(response.status()).as("client %s", from).isEqualTo(200);
                // 5 a minute each: every one of the 2,000 gets its own, fresh limiter
                assertThat(response.header("RateLimit")).hasValueSatisfying(v -> assertThat(v).startsWith("\"clients\";r=4;"));
                if (i % 250 == 0) {
                    largest = Math.max(largest, live(server));
                }
            }
            largest = Math.max(largest, live(server));
            System.out.println("ClientFloodHttpTest: " + CLIENTS + " addresses, at most " + largest + " limiters (bound " + BOUND + ")");
            assertThat(largest).isLessThanOrEqualTo(BOUND);
            assertThat(live(server)).isGreaterThan(0);
        }
    }

    private static double live(TestServer server) {
        return Exposition.first(server.get("/observe/metrics").body(), "spindle_ratelimit_clients")
                .orElseThrow(() -> new AssertionError("no spindle_ratelimit_clients in the exposition"));
    }
}
