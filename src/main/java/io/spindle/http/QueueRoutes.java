package io.spindle.http;

import java.util.function.Consumer;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.handler.BackendBreakers;
import io.spindle.task.Names;
import io.spindle.task.Queue;
import io.spindle.task.QueueStore;

/**
 * {@code /v1/queues}: create, read, list, delete, pause and resume queues.
 */
public final class QueueRoutes implements HttpService {
    private final QueueStore queues;
    private final BackendBreakers breakers;
    private final Consumer<String> changed;

    /**
     * @param breakers the circuit breakers of the http backends, whose states a queue shows
     * @param changed  told the name of each queue whose configuration changed (created, replaced, paused, ...)
     */
    public QueueRoutes(QueueStore queues, BackendBreakers breakers, Consumer<String> changed) {
        this.queues = queues;
        this.breakers = breakers;
        this.changed = changed;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list)
                .any("/", MethodNotAllowed.allow("GET"))
                .put("/{name}", this::put)
                .get("/{name}", this::get)
                .delete("/{name}", this::delete)
                .any("/{name}", MethodNotAllowed.allow("GET, PUT, DELETE"))
                .post("/{name}/pause", (req, res) -> setPaused(req, res, true))
                .any("/{name}/pause", MethodNotAllowed.allow("POST"))
                .post("/{name}/resume", (req, res) -> setPaused(req, res, false))
                .any("/{name}/resume", MethodNotAllowed.allow("POST"));
    }

    private void list(ServerRequest req, ServerResponse res) {
        var items = Json.mapper().createObjectNode();
        var array = items.putArray("items");
        queues.list().forEach(view -> array.add(QueueJson.of(view, breakers)));
        JsonResponses.send(res, Status.OK_200, items);
    }

    private void put(ServerRequest req, ServerResponse res) {
        String name = Names.requireQueueName(req.path().pathParameters().get("name"));
        Queue queue = QueueRequest.parse(name, RequestBodies.json(req));
        QueueStore.Saved saved = queues.save(queue);
        changed.accept(name);
        if (saved == QueueStore.Saved.CREATED) {
            res.header(HeaderNames.LOCATION, "/v1/queues/" + name);
        }
        JsonResponses.send(res, saved == QueueStore.Saved.CREATED ? Status.CREATED_201 : Status.OK_200,
                           QueueJson.of(queues.get(name), breakers));
    }

    private void get(ServerRequest req, ServerResponse res) {
        String name = Names.requireQueueName(req.path().pathParameters().get("name"));
        JsonResponses.send(res, Status.OK_200, QueueJson.of(queues.get(name), breakers));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String name = Names.requireQueueName(req.path().pathParameters().get("name"));
        queues.delete(name);
        changed.accept(name);
        res.status(Status.NO_CONTENT_204).send();
    }

    private void setPaused(ServerRequest req, ServerResponse res, boolean paused) {
        String name = Names.requireQueueName(req.path().pathParameters().get("name"));
        var view = queues.setPaused(name, paused);
        changed.accept(name);
        JsonResponses.send(res, Status.OK_200, QueueJson.of(view, breakers));
    }
}
