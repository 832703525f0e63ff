package io.spindle.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.helidon.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

class ListenerProbeTest {

    @Test
    void aListenerThatAcceptsStaysUp() throws IOException {
        AtomicInteger deaths = new AtomicInteger();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ListenerProbe probe = new ListenerProbe("0.0.0.0", listener::getLocalPort, Duration.ofSeconds(1),
                                                    deaths::incrementAndGet);
            for (int i = 0; i < 5; i++) {
                probe.run();
            }
            assertThat(probe.call().status()).isEqualTo(HealthCheckResponse.Status.UP);
            assertThat(deaths).hasValue(0);
        }
    }

    @Test
    void aPortThatRefusesThreeTimesInARowIsADeadListener() throws IOException {
        int port;
        try (ServerSocket closed = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort(); // closed again at once: a connection to it is refused
        }
        AtomicInteger deaths = new AtomicInteger();
        ListenerProbe probe = new ListenerProbe("127.0.0.1", () -> port, Duration.ofSeconds(1), deaths::incrementAndGet);

        probe.run();
        probe.run();
        assertThat(probe.call().status()).as("two refusals may be a restart").isEqualTo(HealthCheckResponse.Status.UP);
        probe.run();
        assertThat(probe.call().status()).isEqualTo(HealthCheckResponse.Status.DOWN);
        probe.run();
        assertThat(deaths).as("told once").hasValue(1);
    }
}
