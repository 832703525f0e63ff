package io.spindle.handler;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.StringJoiner;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.spindle.config.Settings;

/**
 * Signs http deliveries as the Standard Webhooks specification says, so that a backend can tell a request really
 * comes from Spindle and is fresh: {@code webhook-id} (task id and attempt), {@code webhook-timestamp} (seconds
 * since the epoch) and {@code webhook-signature}, one {@code v1,<base64 HMAC-SHA256 of id.timestamp.body>} per
 * secret, space-separated, so that secrets can be rotated. With no secret it adds nothing. Thread-safe.
 */
public final class DeliverySigner {
    /** Adds no header. */
    public static final DeliverySigner UNSIGNED = new DeliverySigner(List.of(), Clock.systemUTC());

    static final HeaderName WEBHOOK_ID = HeaderNames.create("webhook-id");
    static final HeaderName WEBHOOK_TIMESTAMP = HeaderNames.create("webhook-timestamp");
    static final HeaderName WEBHOOK_SIGNATURE = HeaderNames.create("webhook-signature");
    private static final String ALGORITHM = "HmacSHA256";

    private final List<SecretKeySpec> keys;
    private final Clock clock;

    /**
     * @param secrets the keys to sign with, each giving one signature, in this order
     * @param clock   the wall clock the timestamp is read from
     */
    public DeliverySigner(List<Settings.SigningSecret> secrets, Clock clock) {
        this.keys = secrets.stream().map(s -> new SecretKeySpec(s.key(), ALGORITHM)).toList();
        this.clock = clock;
        if (!keys.isEmpty()) {
            mac(keys.getFirst()); // a JVM without HMAC-SHA256 fails at start, not at the first delivery
        }
    }

    /**
     * The three headers for attempt {@code attempt} of task {@code taskId}, whose request body is {@code body}
     * (exactly the bytes sent), timestamped now; none when no secret is configured.
     */
    List<Header> headers(long taskId, int attempt, byte[] body) {
        if (keys.isEmpty()) {
            return List.of();
        }
        String id = webhookId(taskId, attempt);
        long timestamp = clock.instant().getEpochSecond();
        return List.of(HeaderValues.create(WEBHOOK_ID, id),
                       HeaderValues.create(WEBHOOK_TIMESTAMP, Long.toString(timestamp)),
                       HeaderValues.create(WEBHOOK_SIGNATURE, signature(id, timestamp, body)));
    }

    /**
     * One id per attempt, as SPEC §10 asks: a retry is a new message with a fresh timestamp. An attempt cut short
     * by a shutdown is repeated under its number, so the same id may arrive twice, always for the same task.
     */
    static String webhookId(long taskId, int attempt) {
        return taskId + "-" + attempt;
    }

    /** The {@code webhook-signature} value: {@code v1,<signature>} for each secret, separated by spaces. */
    String signature(String id, long timestamp, byte[] body) {
        byte[] signed = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
        StringJoiner header = new StringJoiner(" ");
        for (SecretKeySpec key : keys) {
            Mac mac = mac(key); // a Mac is not thread-safe, and making one is cheap next to an HTTP request
            mac.update(signed);
            header.add("v1," + Base64.getEncoder().encodeToString(mac.doFinal(body)));
        }
        return header.toString();
    }

    private static Mac mac(SecretKeySpec key) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign deliveries with " + ALGORITHM, e);
        }
    }
}
