package io.spindle.task;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What runs a queue's tasks. The JSON form is both the API's and the one stored in {@code queues.handler}.
 */
public sealed interface HandlerSpec {

    /** POSTs the payload to one backend of {@code backends}, round-robin, at {@code path}. */
    record Http(List<URI> backends, String path, Duration timeout) implements HandlerSpec {
        public Http {
            backends = List.copyOf(backends);
        }
    }

    /** Publishes the payload as an event of type {@code task.payload} on {@code topic}. */
    record Topic(String topic) implements HandlerSpec {
    }

    /** Logs the payload and succeeds. */
    record Log() implements HandlerSpec {
    }

    default ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        switch (this) {
            case Http http -> {
                node.put("type", "http");
                ArrayNode backends = node.putArray("backends");
                http.backends().forEach(uri -> backends.add(uri.toString()));
                node.put("path", http.path());
                node.put("timeout", Durations.format(http.timeout()));
            }
            case Topic topic -> {
                node.put("type", "topic");
                node.put("topic", topic.topic());
            }
            case Log log -> node.put("type", "log");
        }
        return node;
    }

    /** Reads the stored form, which was validated when it was written. */
    static HandlerSpec fromStored(JsonNode node) {
        return switch (node.path("type").asText()) {
            case "http" -> {
                var backends = new java.util.ArrayList<URI>();
                node.path("backends").forEach(b -> backends.add(URI.create(b.asText())));
                yield new Http(backends, node.path("path").asText("/"), Duration.parse(node.path("timeout").asText("PT30S")));
            }
            case "topic" -> new Topic(node.path("topic").asText());
            case "log" -> new Log();
            default -> throw new IllegalStateException("unknown stored handler type: " + node.path("type"));
        };
    }
}
