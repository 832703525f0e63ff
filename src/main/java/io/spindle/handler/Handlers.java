package io.spindle.handler;

import java.util.Objects;

import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;

/**
 * Picks the handler that runs a queue's tasks, by the type of the queue's {@link HandlerSpec}.
 */
public final class Handlers {
    private final HttpTaskHandler http;
    private final LogTaskHandler log;
    private final TaskHandler topic;

    /**
     * @param topic runs {@code topic} queues (publishes the payload on the queue's topic)
     */
    public Handlers(HttpTaskHandler http, LogTaskHandler log, TaskHandler topic) {
        this.http = Objects.requireNonNull(http);
        this.log = Objects.requireNonNull(log);
        this.topic = Objects.requireNonNull(topic);
    }

    public TaskHandler forQueue(Queue queue) {
        return switch (queue.handler()) {
            case HandlerSpec.Http ignored -> http;
            case HandlerSpec.Log ignored -> log;
            case HandlerSpec.Topic ignored -> topic;
        };
    }
}
