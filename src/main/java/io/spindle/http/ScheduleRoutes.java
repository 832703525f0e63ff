package io.spindle.http;

import java.util.List;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.error.SpindleException;
import io.spindle.schedule.Schedule;
import io.spindle.schedule.Schedules;
import io.spindle.task.Names;

/**
 * {@code /v1/queues/{name}/schedules}: create or replace, read, list, delete, pause and resume a queue's schedules.
 */
public final class ScheduleRoutes implements HttpService {
    private final Schedules schedules;

    public ScheduleRoutes(Schedules schedules) {
        this.schedules = schedules;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/{name}/schedules", this::list)
                .any("/{name}/schedules", MethodNotAllowed.allow("GET"))
                .put("/{name}/schedules/{schedule}", this::put)
                .get("/{name}/schedules/{schedule}", this::get)
                .delete("/{name}/schedules/{schedule}", this::delete)
                .any("/{name}/schedules/{schedule}", MethodNotAllowed.allow("GET, PUT, DELETE"))
                .post("/{name}/schedules/{schedule}/pause", this::pause)
                .any("/{name}/schedules/{schedule}/pause", MethodNotAllowed.allow("POST"))
                .post("/{name}/schedules/{schedule}/resume", this::resume)
                .any("/{name}/schedules/{schedule}/resume", MethodNotAllowed.allow("POST"));
    }

    private void list(ServerRequest req, ServerResponse res) {
        var body = Json.mapper().createObjectNode();
        var items = body.putArray("items");
        schedules.list(queue(req)).forEach(view -> items.add(ScheduleJson.of(view)));
        JsonResponses.send(res, Status.OK_200, body);
    }

    private void put(ServerRequest req, ServerResponse res) {
        String queue = queue(req);
        String name = name(req);
        Schedule schedule = ScheduleRequest.parse(queue, name, RequestBodies.json(req));
        Schedules.Saved saved = schedules.put(schedule);
        if (saved.created()) {
            res.header(HeaderNames.LOCATION, "/v1/queues/" + queue + "/schedules/" + name);
        }
        JsonResponses.send(res, saved.created() ? Status.CREATED_201 : Status.OK_200, ScheduleJson.of(saved.view()));
    }

    private void get(ServerRequest req, ServerResponse res) {
        JsonResponses.send(res, Status.OK_200, ScheduleJson.of(schedules.get(queue(req), name(req))));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        schedules.delete(queue(req), name(req));
        res.status(Status.NO_CONTENT_204).send();
    }

    private void pause(ServerRequest req, ServerResponse res) {
        JsonResponses.send(res, Status.OK_200, ScheduleJson.of(schedules.pause(queue(req), name(req))));
    }

    private void resume(ServerRequest req, ServerResponse res) {
        JsonResponses.send(res, Status.OK_200, ScheduleJson.of(schedules.resume(queue(req), name(req))));
    }

    private static String queue(ServerRequest req) {
        return Names.requireQueueName(req.path().pathParameters().get("name"));
    }

    /** Schedule names follow the rule of queue names. */
    private static String name(ServerRequest req) {
        String name = req.path().pathParameters().get("schedule");
        if (!Names.isQueueName(name)) {
            throw new SpindleException.Invalid("Invalid schedule name.", List.of(
                    new SpindleException.FieldError("schedule", "must match [A-Za-z0-9_-]{1,64}")));
        }
        return name;
    }
}
