package io.spindle.handler;

import java.util.Optional;

import io.spindle.bus.TopicBus;
import io.spindle.error.SpindleException;
import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * Publishes a task's payload as an event of type {@code task.payload} on the queue's topic, then succeeds:
 * scheduled notifications and fan-out.
 */
public final class TopicTaskHandler implements TaskHandler {
    static final String EVENT_TYPE = "task.payload";

    private final TopicBus bus;

    public TopicTaskHandler(TopicBus bus) {
        this.bus = bus;
    }

    @Override
    public Outcome handle(Queue queue, Task task) {
        if (!(queue.handler() instanceof HandlerSpec.Topic topic)) {
            return new Outcome.Fail("queue " + queue.name() + " has no topic handler");
        }
        try {
            var event = bus.publish(topic.topic(), EVENT_TYPE, task.payload());
            return new Outcome.Success("{\"topic\":\"" + topic.topic() + "\",\"id\":\"" + event.id() + "\"}");
        } catch (SpindleException.Unavailable e) {
            return new Outcome.Retry("topic " + topic.topic() + " refused the event: " + e.getMessage(), Optional.empty());
        }
    }
}
