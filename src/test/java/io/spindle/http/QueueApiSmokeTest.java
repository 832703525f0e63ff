package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class QueueApiSmokeTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void defaultQueueExists() {
        var response = server.get("/v1/queues/default");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Json.parse(response.body()).path("handler").path("type").asText()).isEqualTo("log");
    }
}
