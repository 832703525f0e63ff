package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AuditTest {

    @Test
    void simpleValuesStayBare() {
        assertThat(Audit.quote("key:ops")).isEqualTo("key:ops");
        assertThat(Audit.quote("addr:127.0.0.1")).isEqualTo("addr:127.0.0.1");
    }

    @Test
    void anythingElseIsQuotedAndEscapedSoALineCannotBeForged() {
        assertThat(Audit.quote("GET /v1/queues/{name}")).isEqualTo("\"GET /v1/queues/{name}\"");
        assertThat(Audit.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
        assertThat(Audit.quote("x\nrefused status=200 client=admin")).doesNotContain("\n").startsWith("\"x\\u000a");
        assertThat(Audit.quote("\u2028\ud800")).isEqualTo("\"\\u2028\\ud800\"");
        assertThat(Audit.quote("")).isEqualTo("\"\"");
    }

    @Test
    void longValuesAreCut() {
        assertThat(Audit.quote("a".repeat(10_000))).hasSizeLessThan(140);
    }
}
