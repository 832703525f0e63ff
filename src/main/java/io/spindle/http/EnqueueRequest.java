package io.spindle.http;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.error.SpindleException;
import io.spindle.error.SpindleException.FieldError;
import io.spindle.task.NewTask;

/**
 * Reads and validates enqueue bodies: one task, or {@code {"tasks": [...]}} for a batch.
 */
final class EnqueueRequest {
    static final int MAX_PAYLOAD_BYTES = 256 * 1024;
    static final int MAX_BATCH = 1000;
    static final int MAX_KEY_LENGTH = 256;
    static final int MAX_CONCURRENCY_KEY_LENGTH = 128;
    private static final Duration MAX_DELAY = Duration.ofDays(365);
    private static final Instant FIRST_INSTANT = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LAST_INSTANT = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private EnqueueRequest() {
    }

    static NewTask one(String queue, JsonNode body, Optional<String> idempotencyHeader, Clock clock) {
        List<FieldError> errors = new ArrayList<>();
        NewTask task = task(queue, JsonFields.root(body, errors), idempotencyHeader, clock);
        if (!errors.isEmpty()) {
            throw new SpindleException.Invalid("The task is invalid.", errors);
        }
        return task;
    }

    static List<NewTask> batch(String queue, JsonNode body, Clock clock) {
        List<FieldError> errors = new ArrayList<>();
        JsonFields fields = JsonFields.root(body, errors);
        List<JsonNode> items = fields.array("tasks", MAX_BATCH).orElse(List.of());
        if (!fields.has("tasks")) {
            fields.error("tasks", "is required");
        } else if (items.isEmpty() && errors.isEmpty()) {
            fields.error("tasks", "must hold at least one task");
        }
        fields.rejectUnknown();
        List<NewTask> tasks = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            tasks.add(task(queue, JsonFields.at(items.get(i), "tasks[" + i + "].", errors), Optional.empty(), clock));
        }
        if (!errors.isEmpty()) {
            throw new SpindleException.Invalid("The batch is invalid; nothing was enqueued.", errors);
        }
        return tasks;
    }

    private static NewTask task(String queue, JsonFields fields, Optional<String> idempotencyHeader, Clock clock) {
        String payload = null;
        if (!fields.present("payload")) {
            fields.error("payload", "is required");
        } else {
            JsonNode value = fields.any("payload").orElse(com.fasterxml.jackson.databind.node.NullNode.instance);
            byte[] bytes = Json.write(value);
            if (bytes.length > MAX_PAYLOAD_BYTES) {
                throw new SpindleException.TooLarge("The payload is " + bytes.length + " bytes; at most "
                                                            + MAX_PAYLOAD_BYTES + " are accepted.");
            }
            payload = new String(bytes, StandardCharsets.UTF_8);
        }
        Optional<Duration> delay = fields.optionalDuration("delay", Duration.ZERO, MAX_DELAY);
        Optional<Instant> runAt = fields.text("runAt", 64).flatMap(text -> instant(fields, text));
        if (fields.has("delay") && fields.has("runAt")) {
            fields.error("runAt", "cannot be given together with delay");
        }
        int priority = fields.integer("priority", -100, 100, 0);
        Integer maxAttempts = fields.optionalInteger("maxAttempts", 1, 1000).orElse(null);
        Optional<String> bodyKey = fields.text("key", MAX_KEY_LENGTH);
        bodyKey.filter(String::isEmpty).ifPresent(k -> fields.error("key", "must not be empty"));
        if (bodyKey.isPresent() && idempotencyHeader.isPresent() && !bodyKey.get().equals(idempotencyHeader.get())) {
            fields.error("key", "differs from the Idempotency-Key header");
        }
        Optional<String> concurrencyKey = fields.text("concurrencyKey", MAX_CONCURRENCY_KEY_LENGTH);
        concurrencyKey.filter(String::isEmpty).ifPresent(k -> fields.error("concurrencyKey", "must not be empty"));
        fields.rejectUnknown();
        Instant due = delay.map(d -> clock.instant().plus(d)).orElse(runAt.orElse(null));
        return new NewTask(queue, payload, priority, due, maxAttempts, bodyKey.or(() -> idempotencyHeader).orElse(null),
                           concurrencyKey.orElse(null));
    }

    private static Optional<Instant> instant(JsonFields fields, String text) {
        try {
            Instant instant = Instant.parse(text);
            // RFC 3339 years have four digits; PostgreSQL refuses most instants outside them
            if (instant.isBefore(FIRST_INSTANT) || instant.isAfter(LAST_INSTANT)) {
                fields.error("runAt", "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z");
                return Optional.empty();
            }
            return Optional.of(instant);
        } catch (DateTimeParseException e) {
            fields.error("runAt", "must be an RFC 3339 instant such as 2026-11-20T10:00:00Z");
            return Optional.empty();
        }
    }

    /** The {@code Idempotency-Key} header, checked like {@code key}. */
    static Optional<String> idempotencyHeader(Optional<String> header) {
        if (header.isPresent() && (header.get().isEmpty() || header.get().length() > MAX_KEY_LENGTH)) {
            throw new SpindleException.Invalid("Invalid Idempotency-Key header.", List.of(
                    new FieldError("Idempotency-Key", "must be 1 to " + MAX_KEY_LENGTH + " characters")));
        }
        return header;
    }
}
