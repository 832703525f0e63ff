package io.spindle.http;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.error.SpindleException;
import io.spindle.error.SpindleException.FieldError;
import io.spindle.task.TaskState;

/**
 * The body of a bulk redrive, {@code {"state": "failed"}}: which finished tasks go back to pending.
 */
final class RedriveRequest {
    private RedriveRequest() {
    }

    static TaskState state(JsonNode body) {
        List<FieldError> errors = new ArrayList<>();
        JsonFields fields = JsonFields.root(body, errors);
        TaskState state = null;
        if (errors.isEmpty()) {
            String raw = fields.text("state", 16).orElse(null);
            if (raw == null && !fields.has("state")) {
                fields.error("state", "is required: failed or cancelled");
            } else if (raw != null) {
                state = TaskState.parse(raw).filter(s -> s == TaskState.FAILED || s == TaskState.CANCELLED).orElse(null);
                if (state == null) {
                    fields.error("state", "must be failed or cancelled");
                }
            }
            fields.rejectUnknown();
        }
        if (!errors.isEmpty()) {
            throw new SpindleException.Invalid("Invalid redrive request.", errors);
        }
        return state;
    }
}
