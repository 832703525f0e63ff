package io.spindle.http;

import static io.spindle.http.ConnectionGuardTest.PARTIAL_REQUEST;
import static io.spindle.http.ConnectionGuardTest.SLACK;
import static io.spindle.http.ConnectionGuardTest.address;
import static io.spindle.http.ConnectionGuardTest.bytes;
import static io.spindle.http.ConnectionGuardTest.connect;
import static io.spindle.http.ConnectionGuardTest.metric;
import static io.spindle.http.ConnectionGuardTest.readOrReset;
import static io.spindle.http.ConnectionGuardTest.stillOpen;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import io.spindle.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * The per-address bound at its default (256) on a real server, alone in its test class: the open-connections gauge
 * of the global registry is the one server's while it runs. Its connections wait in their headers for less than the
 * default header timeout, from 127.0.0.3, so neither the listener probe (127.0.0.1) nor the metrics reads (127.0.0.2)
 * count against it.
 */
class ConnectionBoundTest {
    @Test
    void aClientOverItsConnectionBoundIsClosedAtOnceWhileAnotherAddressIsServed() throws Exception {
        try (TestServer bounded = TestServer.start()) {
            double before = metric(bounded, "spindle_connections_refused_total", "reason", "per-client");
            InetAddress client = address("127.0.0.3");
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 256; i++) {
                    Socket socket = connect(client, bounded.port());
                    socket.getOutputStream().write(bytes(PARTIAL_REQUEST));
                    held.add(socket);
                }
                await().atMost(SLACK).untilAsserted(() -> assertThat(
                        metric(bounded, "spindle_connections_open")).isGreaterThanOrEqualTo(256));

                try (Socket over = connect(client, bounded.port())) {
                    over.setSoTimeout((int) SLACK.toMillis());
                    assertThat(readOrReset(over.getInputStream())).as("the 257th is closed at once").isEqualTo(-1);
                }
                assertThat(ConnectionGuardTest.get(bounded, "/v1/queues").statusCode()).as("another address is served").isEqualTo(200);
                assertThat(metric(bounded, "spindle_connections_refused_total", "reason", "per-client"))
                        .isGreaterThanOrEqualTo(before + 1);
                for (Socket socket : held) {
                    socket.setSoTimeout(1);
                    assertThat(stillOpen(socket.getInputStream())).as("the first 256 are held").isTrue();
                }
            } finally {
                for (Socket socket : held) {
                    socket.close();
                }
            }
        }
    }

}
