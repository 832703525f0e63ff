package io.spindle.http;

import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.bus.TopicBus;

/**
 * {@code /v1/users/{userId}/notifications}: a user's notifications, which are the events of topic
 * {@code users.{userId}}: publish one, or subscribe over SSE.
 */
public final class NotificationRoutes implements HttpService {
    private final TopicBus bus;
    private final EventStreams streams;

    public NotificationRoutes(TopicBus bus, EventStreams streams) {
        this.bus = bus;
        this.streams = streams;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/{userId}/notifications", this::subscribe)
                .post("/{userId}/notifications", this::publish)
                .any("/{userId}/notifications", MethodNotAllowed.allow("GET, POST"));
    }

    private void subscribe(ServerRequest req, ServerResponse res) {
        streams.stream(EventBodies.userTopic(req.path().pathParameters().get("userId")), req, res);
    }

    private void publish(ServerRequest req, ServerResponse res) {
        String topic = EventBodies.userTopic(req.path().pathParameters().get("userId"));
        EventBodies.Published notification = EventBodies.notification(RequestBodies.json(req));
        TopicRoutes.accepted(res, bus.publish(topic, notification.type(), notification.data()));
    }
}
