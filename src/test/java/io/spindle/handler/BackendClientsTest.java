package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackendClientsTest {

    @ParameterizedTest
    @CsvSource({"PT0.001S, PT0.01S", "PT0.3S, PT0.25S", "PT1S, PT1S", "PT1.9S, PT1S", "PT4S, PT2S", "PT5S, PT5S",
                "PT30S, PT5S", "PT10M, PT5S"})
    void connectsWithinTheRequestTimeoutAndAtMostFiveSeconds(Duration requestTimeout, Duration connectTimeout) {
        assertThat(BackendClients.connectTimeout(requestTimeout)).isEqualTo(connectTimeout);
    }
}
