package io.spindle.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.error.SpindleException;
import io.spindle.error.SpindleException.FieldError;
import io.spindle.task.HandlerSpec;
import io.spindle.task.Names;
import io.spindle.task.Queue;

/**
 * Reads and validates the body of {@code PUT /v1/queues/{name}}, applying the documented defaults.
 */
final class QueueRequest {
    static final int DEFAULT_MAX_CONCURRENT = 10;
    static final int DEFAULT_MAX_ATTEMPTS = 5;
    static final Duration DEFAULT_MIN_BACKOFF = Duration.ofSeconds(1);
    static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);
    static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    static final Duration DEFAULT_HTTP_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_BACKENDS = 32;

    private QueueRequest() {
    }

    static Queue parse(String name, JsonNode body) {
        List<FieldError> errors = new ArrayList<>();
        JsonFields fields = JsonFields.root(body, errors);
        fields.text("name", 64).filter(n -> !n.equals(name))
                .ifPresent(n -> fields.error("name", "must equal the name in the path ('" + name + "')"));
        fields.ignore("stats");
        fields.ignore("backends"); // output: the breakers' states
        HandlerSpec handler = fields.object("handler").map(QueueRequest::handler).orElse(null);
        if (handler == null && !fields.has("handler")) {
            fields.error("handler", "is required");
        }
        int maxConcurrent = fields.integer("maxConcurrent", 1, 10_000, DEFAULT_MAX_CONCURRENT);
        Optional<Queue.Rate> rate = fields.object("rate").flatMap(QueueRequest::rate);
        Queue.RetryPolicy retry = fields.object("retry").map(QueueRequest::retry)
                .orElse(new Queue.RetryPolicy(DEFAULT_MAX_ATTEMPTS, DEFAULT_MIN_BACKOFF, DEFAULT_MAX_BACKOFF));
        Duration retention = fields.duration("retention", Duration.ZERO, Duration.ofDays(3650), DEFAULT_RETENTION);
        boolean paused = fields.bool("paused", false);
        Optional<Integer> keyConcurrency = fields.optionalInteger("keyConcurrency", 1, 10_000);
        fields.rejectUnknown();
        if (!errors.isEmpty()) {
            throw new SpindleException.Invalid("The queue is invalid.", errors);
        }
        return new Queue(name, handler, maxConcurrent, rate, retry, retention, paused, keyConcurrency);
    }

    private static HandlerSpec handler(JsonFields fields) {
        Optional<String> type = fields.text("type", 16);
        HandlerSpec spec = switch (type.orElse("")) {
            case "http" -> http(fields);
            case "topic" -> topic(fields);
            case "log" -> new HandlerSpec.Log();
            default -> {
                fields.error("type", "must be one of http, topic, log");
                yield null;
            }
        };
        fields.rejectUnknown();
        return spec;
    }

    private static HandlerSpec http(JsonFields fields) {
        List<URI> backends = new ArrayList<>();
        Optional<List<JsonNode>> items = fields.array("backends", MAX_BACKENDS);
        if (items.isEmpty() && !fields.has("backends")) {
            fields.error("backends", "is required for an http handler");
        }
        items.ifPresent(list -> {
            if (list.isEmpty()) {
                fields.error("backends", "must name at least one backend");
            }
            for (int i = 0; i < list.size(); i++) {
                Optional<URI> uri = backend(list.get(i));
                if (uri.isPresent()) {
                    backends.add(uri.get());
                } else {
                    fields.error("backends", "item " + i + " must be an absolute http:// or https:// URL with a host");
                }
            }
        });
        String path = fields.text("path", 1024).orElse("/");
        if (!path.startsWith("/")) {
            fields.error("path", "must start with /");
        }
        Duration timeout = fields.duration("timeout", Duration.ofMillis(1), Duration.ofMinutes(10), DEFAULT_HTTP_TIMEOUT);
        return new HandlerSpec.Http(backends, path, timeout);
    }

    private static Optional<URI> backend(JsonNode node) {
        if (!node.isTextual() || node.asText().length() > 2048) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(node.asText());
            boolean web = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
            if (!web || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                return Optional.empty();
            }
            String text = uri.toString();
            return Optional.of(URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    private static HandlerSpec topic(JsonFields fields) {
        Optional<String> topic = fields.text("topic", 128);
        if (topic.isEmpty()) {
            if (!fields.has("topic")) {
                fields.error("topic", "is required for a topic handler");
            }
            return null;
        }
        if (!Names.isTopicName(topic.get())) {
            fields.error("topic", "must match [A-Za-z0-9._-]{1,128}");
        } else if (topic.get().startsWith("tasks.")) {
            fields.error("topic", "tasks.* topics are reserved for task events");
        }
        return new HandlerSpec.Topic(topic.get());
    }

    private static Optional<Queue.Rate> rate(JsonFields fields) {
        Optional<Integer> permits = fields.optionalInteger("permits", 1, 1_000_000);
        Optional<Duration> period = fields.optionalDuration("period", Duration.ofMillis(1), Duration.ofDays(1));
        if (!fields.has("permits")) {
            fields.error("permits", "is required");
        }
        if (!fields.has("period")) {
            fields.error("period", "is required");
        }
        fields.rejectUnknown();
        if (permits.isEmpty() || period.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Queue.Rate(permits.get(), period.get()));
    }

    private static Queue.RetryPolicy retry(JsonFields fields) {
        int maxAttempts = fields.integer("maxAttempts", 1, 1000, DEFAULT_MAX_ATTEMPTS);
        Duration min = fields.duration("minBackoff", Duration.ZERO, Duration.ofDays(1), DEFAULT_MIN_BACKOFF);
        Duration max = fields.duration("maxBackoff", Duration.ZERO, Duration.ofDays(7), DEFAULT_MAX_BACKOFF);
        if (max.compareTo(min) < 0) {
            fields.error("maxBackoff", "must not be shorter than minBackoff");
        }
        fields.rejectUnknown();
        return new Queue.RetryPolicy(maxAttempts, min, max);
    }
}
