package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;

import io.helidon.http.Header;
import io.spindle.config.Settings;
import org.junit.jupiter.api.Test;

/** The signer against the Standard Webhooks reference vector, and the headers it gives a delivery. */
class DeliverySignerTest {
    // the example of the Standard Webhooks reference libraries (standard-webhooks/standard-webhooks, svix)
    private static final Settings.SigningSecret REFERENCE = secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private static final Settings.SigningSecret OTHER = secret("c2Vjb25kLXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmZ2g=");
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1614265330, 999_000_000), ZoneOffset.UTC);

    private static Settings.SigningSecret secret(String base64) {
        return new Settings.SigningSecret(Base64.getDecoder().decode(base64));
    }

    @Test
    void theReferenceVectorOfTheSpecificationSignsAsPublished() {
        DeliverySigner signer = new DeliverySigner(List.of(REFERENCE), CLOCK);

        assertThat(signer.signature("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                    "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void aDeliveryGetsItsAttemptsIdTheSecondsAndOneSignaturePerSecretInOrder() {
        DeliverySigner signer = new DeliverySigner(List.of(REFERENCE, OTHER), CLOCK);
        byte[] body = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);

        List<Header> headers = signer.headers(42, 3, body);

        String first = new DeliverySigner(List.of(REFERENCE), CLOCK).signature("42-3", 1614265330, body);
        String second = new DeliverySigner(List.of(OTHER), CLOCK).signature("42-3", 1614265330, body);
        assertThat(headers).extracting(Header::name)
                .containsExactly("webhook-id", "webhook-timestamp", "webhook-signature");
        assertThat(headers).extracting(Header::get).containsExactly("42-3", "1614265330", first + " " + second);
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void withoutASecretNothingIsAdded() {
        assertThat(DeliverySigner.UNSIGNED.headers(42, 1, new byte[0])).isEmpty();
        assertThat(new DeliverySigner(List.of(), CLOCK).headers(42, 1, new byte[0])).isEmpty();
    }
}
