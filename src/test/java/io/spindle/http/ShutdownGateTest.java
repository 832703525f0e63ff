package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.helidon.webserver.WebServer;
import io.spindle.testing.KeepAliveConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Once the gate closes, kept-alive connections end at their next response: a new request gets 503 with
 * {@code Retry-After} and {@code Connection: close}, a request in flight finishes with {@code Connection: close},
 * and health stays served.
 */
class ShutdownGateTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ShutdownGate gate = new ShutdownGate();
    private final CountDownLatch slowEntered = new CountDownLatch(1);
    private final CountDownLatch slowRelease = new CountDownLatch(1);
    private WebServer server;

    @BeforeEach
    void start() {
        server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .shutdownHook(false)
                .routing(routing -> routing
                        .addFilter(gate)
                        .get("/fast", (req, res) -> res.send("fast"))
                        .get("/observe/health", (req, res) -> res.send("UP"))
                        .get("/slow", (req, res) -> {
                            slowEntered.countDown();
                            slowRelease.await(10, TimeUnit.SECONDS);
                            res.send("slow");
                        }))
                .build()
                .start();
    }

    @AfterEach
    void stop() {
        slowRelease.countDown();
        server.stop();
    }

    @Test
    void beforeClosingConnectionsStayOpen() throws Exception {
        try (KeepAliveConnection connection = KeepAliveConnection.open(server.port(), TIMEOUT)) {
            for (int i = 0; i < 3; i++) {
                KeepAliveConnection.Response response = connection.send("GET", "/fast", null);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.closes()).isFalse();
            }
        }
    }

    @Test
    void aRequestOnAKeptAliveConnectionAfterClosingIsRefusedWith503() throws Exception {
        try (KeepAliveConnection connection = KeepAliveConnection.open(server.port(), TIMEOUT)) {
            assertThat(connection.send("GET", "/fast", null).closes()).isFalse();
            gate.close();
            KeepAliveConnection.Response refused = connection.send("GET", "/fast", null);
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("retry-after")).contains("1");
            assertThat(refused.closes()).as("Connection: close").isTrue();
            assertThat(refused.header("content-type")).contains(ProblemResponses.MEDIA_TYPE);
            assertThat(refused.body()).contains("shutting down");
        }
    }

    @Test
    void aRequestInFlightFinishesWithConnectionClose() throws Exception {
        try (KeepAliveConnection connection = KeepAliveConnection.open(server.port(), TIMEOUT)) {
            CompletableFuture<KeepAliveConnection.Response> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return connection.send("GET", "/slow", null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(slowEntered.await(10, TimeUnit.SECONDS)).isTrue();
            gate.close();
            slowRelease.countDown();
            KeepAliveConnection.Response finished = slow.get(10, TimeUnit.SECONDS);
            assertThat(finished.status()).isEqualTo(200);
            assertThat(finished.body()).isEqualTo("slow");
            assertThat(finished.closes()).as("Connection: close").isTrue();
        }
    }

    @Test
    void healthStaysServedAfterClosing() throws Exception {
        gate.close();
        try (KeepAliveConnection connection = KeepAliveConnection.open(server.port(), TIMEOUT)) {
            KeepAliveConnection.Response health = connection.send("GET", "/observe/health", null);
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.closes()).isTrue();
        }
    }
}
