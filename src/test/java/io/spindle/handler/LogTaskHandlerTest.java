package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import io.spindle.task.Task;
import io.spindle.task.TaskState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LogTaskHandlerTest {
    private static final Logger LOG = Logger.getLogger(LogTaskHandler.class.getName());
    private static final Queue QUEUE = new Queue("default", new HandlerSpec.Log(), 10, Optional.empty(),
                                                 new Queue.RetryPolicy(3, Duration.ofSeconds(1), Duration.ofMinutes(1)),
                                                 Duration.ofDays(7), false);

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        LOG.addHandler(capture);
    }

    @AfterEach
    void stopListening() {
        LOG.removeHandler(capture);
    }

    @Test
    void logsThePayloadAtInfoAndSucceeds() {
        Outcome outcome = new LogTaskHandler().handle(QUEUE, task(9, "{\"hello\":\"world\"}"));

        assertThat(outcome).isEqualTo(new Outcome.Success("{\"logged\":true}"));
        assertThat(records).singleElement().satisfies(record -> {
            assertThat(record.getLevel()).isEqualTo(Level.INFO);
            assertThat(record.getMessage()).contains("task 9", "queue default", "{\"hello\":\"world\"}");
        });
    }

    @Test
    void cutsLongPayloadsInTheLog() {
        String payload = "\"" + "x".repeat(5_000) + "\"";

        new LogTaskHandler().handle(QUEUE, task(1, payload));

        String message = records.getFirst().getMessage();
        assertThat(message).doesNotContain(payload).contains("(5002 chars)");
        assertThat(message.length()).isLessThan(LogTaskHandler.MAX_LOGGED_CHARS + 100);
    }

    private static Task task(long id, String payload) {
        Instant now = Instant.now();
        return new Task(id, "default", TaskState.RUNNING, payload, 0, now, 1, 3, null, null, null, now, now, null, null);
    }
}
