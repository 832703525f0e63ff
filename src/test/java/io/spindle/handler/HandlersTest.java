package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import org.junit.jupiter.api.Test;

class HandlersTest {

    @Test
    void picksTheHandlerByTheQueuesHandlerType() {
        TaskHandler topic = (queue, task) -> new Outcome.Success("{}");
        try (HttpTaskHandler http = new HttpTaskHandler()) {
            LogTaskHandler log = new LogTaskHandler();
            Handlers handlers = new Handlers(http, log, topic);

            assertThat(handlers.forQueue(queue(new HandlerSpec.Http(List.of(URI.create("http://127.0.0.1:1")), "/",
                                                                    Duration.ofSeconds(1))))).isSameAs(http);
            assertThat(handlers.forQueue(queue(new HandlerSpec.Log()))).isSameAs(log);
            assertThat(handlers.forQueue(queue(new HandlerSpec.Topic("orders")))).isSameAs(topic);
        }
    }

    private static Queue queue(HandlerSpec spec) {
        return new Queue("q", spec, 1, Optional.empty(),
                         new Queue.RetryPolicy(3, Duration.ofSeconds(1), Duration.ofMinutes(1)), Duration.ofDays(1),
                         false);
    }
}
