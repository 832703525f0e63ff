package io.spindle.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.bus.Event;
import io.spindle.bus.TopicBus;
import io.spindle.bus.TopicStats;

/**
 * {@code /v1/topics}: list topics, publish an event, subscribe to a topic's events over SSE.
 */
public final class TopicRoutes implements HttpService {
    private final TopicBus bus;
    private final EventStreams streams;

    public TopicRoutes(TopicBus bus, EventStreams streams) {
        this.bus = bus;
        this.streams = streams;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list)
                .any("/", MethodNotAllowed.allow("GET"))
                .get("/{topic}/events", this::subscribe)
                .post("/{topic}/events", this::publish)
                .any("/{topic}/events", MethodNotAllowed.allow("GET, POST"));
    }

    private void list(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.mapper().createObjectNode();
        var items = body.putArray("items");
        for (TopicStats topic : bus.topics()) {
            items.addObject()
                    .put("name", topic.name())
                    .put("subscribers", topic.subscribers())
                    .put("published", topic.published())
                    .put("dropped", topic.dropped())
                    .put("lastEventId", topic.lastEventId() > 0 ? Long.toString(topic.lastEventId()) : null);
        }
        JsonResponses.send(res, Status.OK_200, body);
    }

    private void subscribe(ServerRequest req, ServerResponse res) {
        streams.stream(EventBodies.topic(req.path().pathParameters().get("topic")), req, res);
    }

    private void publish(ServerRequest req, ServerResponse res) {
        String topic = EventBodies.publishableTopic(req.path().pathParameters().get("topic"));
        EventBodies.Published event = EventBodies.event(RequestBodies.json(req));
        accepted(res, bus.publish(topic, event.type(), event.data()));
    }

    /** 202 with the topic and the id the event got on this instance. */
    static void accepted(ServerResponse res, Event event) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("topic", event.topic());
        body.put("id", Long.toString(event.id()));
        JsonResponses.send(res, Status.ACCEPTED_202, body);
    }
}
