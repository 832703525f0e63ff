package io.spindle.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.dispatch.LeaseCommands;
import io.spindle.error.SpindleException;
import io.spindle.error.SpindleException.FieldError;
import io.spindle.handler.HttpTaskHandler;
import io.spindle.task.Task;

/**
 * {@code /v1/queues/{name}/tasks/{id}/heartbeat}, {@code …/complete} and {@code …/fail}: how the backend of a long
 * task (it answered {@code 202 Accepted}) reports, with the {@code Spindle-Lease} token of its delivery.
 */
public final class LeaseRoutes implements HttpService {
    private static final int MAX_ERROR_CHARS = 2000;
    private static final Duration MAX_RETRY_AFTER = Duration.ofDays(7);

    private final LeaseCommands commands;

    public LeaseRoutes(LeaseCommands commands) {
        this.commands = commands;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/{name}/tasks/{id}/heartbeat", this::heartbeat)
                .any("/{name}/tasks/{id}/heartbeat", MethodNotAllowed.allow("POST"))
                .post("/{name}/tasks/{id}/complete", this::complete)
                .any("/{name}/tasks/{id}/complete", MethodNotAllowed.allow("POST"))
                .post("/{name}/tasks/{id}/fail", this::fail)
                .any("/{name}/tasks/{id}/fail", MethodNotAllowed.allow("POST"));
    }

    private void heartbeat(ServerRequest req, ServerResponse res) {
        String queue = TaskRoutes.queueName(req);
        send(res, commands.heartbeat(queue, TaskRoutes.taskId(req, queue), token(req)));
    }

    private void complete(ServerRequest req, ServerResponse res) {
        String queue = TaskRoutes.queueName(req);
        long id = TaskRoutes.taskId(req, queue);
        UUID token = token(req);
        String result = null;
        if (req.content().hasEntity()) {
            List<FieldError> errors = new ArrayList<>();
            JsonFields fields = JsonFields.root(RequestBodies.json(req), errors);
            Optional<JsonNode> value = fields.any("result");
            fields.rejectUnknown();
            if (value.isPresent()) {
                byte[] bytes = Json.write(value.get());
                if (bytes.length > HttpTaskHandler.MAX_RESULT_BYTES) {
                    fields.error("result", "must be at most " + HttpTaskHandler.MAX_RESULT_BYTES + " bytes of JSON");
                }
                result = new String(bytes, StandardCharsets.UTF_8);
            }
            invalidIf(errors, "The result is invalid.");
        }
        send(res, commands.complete(queue, id, token, result));
    }

    private void fail(ServerRequest req, ServerResponse res) {
        String queue = TaskRoutes.queueName(req);
        long id = TaskRoutes.taskId(req, queue);
        UUID token = token(req);
        List<FieldError> errors = new ArrayList<>();
        JsonFields fields = JsonFields.root(req.content().hasEntity()
                                                    ? RequestBodies.json(req) : JsonNodeFactory.instance.objectNode(), errors);
        String error = fields.text("error", MAX_ERROR_CHARS).orElse("the backend reported a failure");
        Optional<Duration> retryAfter = fields.optionalDuration("retryAfter", Duration.ZERO, MAX_RETRY_AFTER);
        boolean permanent = fields.bool("permanent", false);
        if (permanent && retryAfter.isPresent()) {
            fields.error("retryAfter", "cannot be given together with permanent");
        }
        fields.rejectUnknown();
        invalidIf(errors, "The failure is invalid.");
        send(res, commands.fail(queue, id, token, new LeaseCommands.Failure(error, retryAfter, permanent)));
    }

    private static void send(ServerResponse res, Task task) {
        JsonResponses.sendBytes(res, Status.OK_200, TaskJson.one(task));
    }

    private static void invalidIf(List<FieldError> errors, String title) {
        if (!errors.isEmpty()) {
            throw new SpindleException.Invalid(title, errors);
        }
    }

    private static UUID token(ServerRequest req) {
        Optional<String> raw = req.headers().first(HttpTaskHandler.LEASE);
        try {
            return UUID.fromString(raw.orElseThrow().strip());
        } catch (IllegalArgumentException | NoSuchElementException e) {
            throw new SpindleException.Invalid("The Spindle-Lease header is missing or malformed.", List.of(
                    new FieldError("Spindle-Lease", "must be the lease token the delivery carried")));
        }
    }
}
