package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonResultTest {

    @ParameterizedTest
    @ValueSource(strings = {"{\"id\":7}", "[1,2,{\"a\":null}]", "\"text\"", "42", "true", "null", " {\"a\": 1} \n",
                            "{\"emoji\":\"\\ud83d\\ude00\"}", "{\"n\":1.5e300}", "{\"n\":-2E-1000}", "{\"n\":1e+0001}",
                            "{\"ü\":\"ß\"}"})
    void keepsJsonThatPostgresAccepts(String body) {
        assertThat(of(body)).contains(body);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "OK", "{\"a\":", "{\"a\":1}}", "{\"a\":1} {\"b\":2}", "1 2", "[1,]",
                            "{\"a\":\"\\u0000\"}", "{\"\\u0000\":1}", "[\"\\ud800\"]", "[\"\\udc00x\"]",
                            "{\"n\":1e1001}", "{\"n\":1e-99999}", "<html></html>"})
    void refusesWhatIsNotOneStorableJsonValue(String body) {
        assertThat(of(body)).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void refusesInvalidUtf8() {
        byte[] body = {'"', (byte) 0xC3, (byte) 0x28, '"'};
        assertThat(JsonResult.of(body)).isEmpty();
    }

    private static Optional<String> of(String body) {
        return JsonResult.of(body.getBytes(StandardCharsets.UTF_8));
    }
}
