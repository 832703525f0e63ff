package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.spindle.task.AttemptEnd;
import io.spindle.task.Completion;
import io.spindle.task.Queue;
import io.spindle.task.Task;
import io.spindle.task.TaskState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Ends of attempts handed to the {@link CompletionWriter} are written once, guarded by their attempt. */
class CompletionWriterTest {
    private static final Queue.RetryPolicy RETRY = new Queue.RetryPolicy(3, Duration.ZERO, Duration.ZERO);
    private static DispatchDatabase world;
    private final CompletionWriter writer = new CompletionWriter(world.store, 100, world.transitions, new QueueSlots(() -> { }));

    @BeforeAll
    static void open() {
        world = new DispatchDatabase(() -> { });
    }

    @AfterAll
    static void dropDatabase() {
        world.close();
    }

    private String queueName;

    @BeforeEach
    void newQueue() {
        queueName = world.nextQueue();
    }

    @AfterEach
    void close() throws Exception {
        writer.close();
    }

    @Test
    void eachEndIsWrittenAndAnnouncedOnce() throws Exception {
        world.queue(queueName, 10, RETRY);
        world.enqueue(queueName, 3);
        List<Task> running = world.claim(queueName, 3);
        Instant submitted = Instant.now();

        writer.submit(Completion.of(running.get(0), new AttemptEnd.Succeeded("{\"ok\": true}")));
        writer.submit(Completion.of(running.get(1), new AttemptEnd.Retry("503", Duration.ofHours(1))));
        writer.submit(Completion.of(running.get(2), new AttemptEnd.Failed("400")));

        assertThat(world.next(3)).containsExactlyInAnyOrder(
                "task.succeeded " + running.get(0).id(), "task.retrying " + running.get(1).id(),
                "task.failed " + running.get(2).id());
        Task succeeded = world.find(running.get(0));
        assertThat(succeeded.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(succeeded.result()).isEqualTo("{\"ok\": true}");
        Task retrying = world.find(running.get(1));
        assertThat(retrying.state()).isEqualTo(TaskState.PENDING);
        assertThat(retrying.lastError()).isEqualTo("503");
        assertThat(retrying.runAt()).isAfter(submitted.plus(Duration.ofMinutes(59)));
        Task failed = world.find(running.get(2));
        assertThat(failed.state()).isEqualTo(TaskState.FAILED);
        assertThat(failed.finishedAt()).isNotNull();
        assertThat(world.finished("succeeded") + world.finished("retried") + world.finished("failed")).isEqualTo(3.0);
    }

    @Test
    void theEndOfAnAttemptThatIsNoLongerCurrentIsIgnoredAndNotAnnounced() throws Exception {
        world.queue(queueName, 10, RETRY);
        world.enqueue(queueName, 2);
        List<Task> running = world.claim(queueName, 2);
        Task stale = running.get(0);

        writer.submit(new Completion(stale.id(), stale.queue(), stale.attempts() - 1, new AttemptEnd.Failed("late")));
        writer.submit(Completion.of(running.get(1), new AttemptEnd.Succeeded("{}")));

        assertThat(world.next(1)).containsExactly("task.succeeded " + running.get(1).id());
        assertThat(world.announced).isEmpty();
        assertThat(world.find(stale).state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void closingWritesWhatWasHandedIn() throws Exception {
        world.queue(queueName, 10, RETRY);
        world.enqueue(queueName, 1);
        Task running = world.claim(queueName, 1).getFirst();

        writer.submit(Completion.of(running, new AttemptEnd.Succeeded("{}")));
        writer.close(Duration.ofSeconds(10));

        assertThat(world.find(running).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(world.announced).containsExactly("task.succeeded " + running.id());
    }
}
