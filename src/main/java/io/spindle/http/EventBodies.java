package io.spindle.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.spindle.bus.Event;
import io.spindle.error.SpindleException;
import io.spindle.error.SpindleException.FieldError;
import io.spindle.task.Names;

/**
 * Names and bodies of the topic and notification endpoints: topic and user names from the path, and the
 * events clients publish.
 */
final class EventBodies {
    /** The largest {@code data} (or notification) a client may publish, as compact JSON. */
    static final int MAX_DATA_BYTES = 64 * 1024;
    static final String DEFAULT_TYPE = "message";
    static final String NOTIFICATION_TYPE = "notification";
    /** Topics of task lifecycle events, which only Spindle publishes. */
    static final String TASK_TOPICS = "tasks.";

    private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** A user id is one segment of a topic name: {@code users.{userId}} must itself be a topic name. */
    private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9_-]{1,122}");
    private static final Set<String> RESERVED_TYPES = Set.of(Event.LAGGED, Event.SHUTDOWN);

    /** An event as a client publishes it. */
    record Published(String type, String data) {
    }

    private EventBodies() {
    }

    static String topic(String raw) {
        if (!Names.isTopicName(raw)) {
            throw new SpindleException.Invalid("Invalid topic name.", List.of(
                    new FieldError("topic", "must match [A-Za-z0-9._-]{1,128}")));
        }
        return raw;
    }

    /** The topic a client may publish on; task topics are Spindle's own. */
    static String publishableTopic(String raw) {
        String topic = topic(raw);
        if (topic.startsWith(TASK_TOPICS)) {
            throw new SpindleException.Forbidden("Topic '" + topic + "' carries task events, which only Spindle publishes.");
        }
        return topic;
    }

    static String userTopic(String userId) {
        if (userId == null || !USER_ID.matcher(userId).matches()) {
            throw new SpindleException.Invalid("Invalid user id.", List.of(
                    new FieldError("userId", "must match [A-Za-z0-9_-]{1,122}")));
        }
        return "users." + userId;
    }

    /** {@code {"type": "…", "data": <any JSON>}}; {@code type} defaults to {@code message}, {@code data} to null. */
    static Published event(JsonNode body) {
        List<FieldError> errors = new ArrayList<>();
        JsonFields fields = JsonFields.root(body, errors);
        String type = fields.text("type", 64).orElse(DEFAULT_TYPE);
        if (fields.has("type") && !TYPE.matcher(type).matches()) {
            fields.error("type", "must match [A-Za-z0-9._-]{1,64}");
        } else if (RESERVED_TYPES.contains(type)) {
            fields.error("type", "'" + type + "' is reserved for the notices of the event stream itself");
        }
        JsonNode data = fields.present("data") ? body.get("data") : NullNode.getInstance();
        fields.rejectUnknown();
        if (!errors.isEmpty()) {
            throw new SpindleException.Invalid("Invalid event.", errors);
        }
        return new Published(type, dataText(data));
    }

    /** {@code {"message": "…"}}: published as it is, type {@code notification}. */
    static Published notification(JsonNode body) {
        List<FieldError> errors = new ArrayList<>();
        JsonFields fields = JsonFields.root(body, errors);
        if (!fields.has("message")) {
            if (body.isObject()) {
                fields.error("message", "is required");
            }
        } else {
            fields.text("message", Integer.MAX_VALUE);
        }
        fields.rejectUnknown();
        if (!errors.isEmpty()) {
            throw new SpindleException.Invalid("Invalid notification.", errors);
        }
        return new Published(NOTIFICATION_TYPE, dataText(body));
    }

    private static String dataText(JsonNode data) {
        byte[] json = Json.write(data);
        if (json.length > MAX_DATA_BYTES) {
            throw new SpindleException.TooLarge("The event data is " + json.length + " bytes of JSON; at most "
                                                        + MAX_DATA_BYTES + " are accepted.");
        }
        return new String(json, StandardCharsets.UTF_8);
    }
}
