package io.spindle.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.spindle.error.SpindleException;
import io.spindle.error.SpindleException.FieldError;
import io.spindle.schedule.CatchUp;
import io.spindle.schedule.CronTiming;
import io.spindle.schedule.EveryTiming;
import io.spindle.schedule.Schedule;
import io.spindle.schedule.Timing;

/**
 * Reads and validates the body of {@code PUT /v1/queues/{queue}/schedules/{name}}, applying the documented defaults.
 * Every problem is a 400 naming its field, the payload's size included.
 */
final class ScheduleRequest {
    static final String DEFAULT_TIMEZONE = "UTC";
    static final Duration MAX_EVERY = Duration.ofDays(366);

    private ScheduleRequest() {
    }

    static Schedule parse(String queue, String name, JsonNode body) {
        List<FieldError> errors = new ArrayList<>();
        JsonFields fields = JsonFields.root(body, errors);
        fields.text("name", 64).filter(n -> !n.equals(name))
                .ifPresent(n -> fields.error("name", "must equal the name in the path ('" + name + "')"));
        fields.text("queue", 64).filter(q -> !q.equals(queue))
                .ifPresent(q -> fields.error("queue", "must equal the queue in the path ('" + queue + "')"));
        fields.ignore("nextRuns");
        fields.ignore("lastRun");
        ZoneId zone = zone(fields);
        Timing timing = timing(fields, zone);
        String payload = payload(fields);
        int priority = fields.integer("priority", -100, 100, 0);
        CatchUp catchUp = fields.text("catchUp", 16).map(text -> CatchUp.parse(text).orElseGet(() -> {
            fields.error("catchUp", "must be none or last");
            return CatchUp.NONE;
        })).orElse(CatchUp.NONE);
        boolean paused = fields.bool("paused", false);
        fields.rejectUnknown();
        if (!errors.isEmpty()) {
            throw new SpindleException.Invalid("The schedule is invalid.", errors);
        }
        return new Schedule(queue, name, timing, payload, priority, catchUp, paused);
    }

    /** An IANA zone id (region or UTC), not an offset such as {@code +02:00}. */
    private static ZoneId zone(JsonFields fields) {
        Optional<String> text = fields.text("timezone", 64);
        if (text.isEmpty()) {
            return ZoneId.of(DEFAULT_TIMEZONE);
        }
        if (!ZoneId.getAvailableZoneIds().contains(text.get())) {
            fields.error("timezone", "must be an IANA time zone such as Europe/Berlin or UTC");
            return ZoneId.of(DEFAULT_TIMEZONE);
        }
        return ZoneId.of(text.get());
    }

    private static Timing timing(JsonFields fields, ZoneId zone) {
        boolean cron = fields.has("cron");
        boolean every = fields.has("every");
        if (cron == every) {
            fields.error(cron ? "every" : "cron", cron ? "cannot be given together with cron" : "or every is required");
            return null;
        }
        if (cron) {
            return fields.text("cron", 256).map(expression -> {
                try {
                    return CronTiming.parse(expression, zone);
                } catch (IllegalArgumentException e) {
                    fields.error("cron", e.getMessage());
                    return null;
                }
            }).orElse(null);
        }
        return fields.optionalDuration("every", EveryTiming.MIN, MAX_EVERY).map(d -> new EveryTiming(d, zone)).orElse(null);
    }

    private static String payload(JsonFields fields) {
        JsonNode value = fields.present("payload") ? fields.any("payload").orElse(NullNode.instance) : NullNode.instance;
        byte[] bytes = Json.write(value);
        if (bytes.length > EnqueueRequest.MAX_PAYLOAD_BYTES) {
            fields.error("payload", "is " + bytes.length + " bytes; at most " + EnqueueRequest.MAX_PAYLOAD_BYTES
                                    + " are accepted");
            return null;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
