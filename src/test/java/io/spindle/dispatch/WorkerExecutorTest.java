package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.spindle.handler.Outcome;
import io.spindle.handler.TaskHandler;
import io.spindle.task.Queue;
import io.spindle.task.Task;
import io.spindle.task.TaskState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker turns a handler's outcome into the end of the attempt (through the retry decision), frees its
 * slot, and at the shutdown deadline of its clock interrupts what still runs and hands it back uncounted.
 */
class WorkerExecutorTest {
    private static final Queue.RetryPolicy RETRY = new Queue.RetryPolicy(2, Duration.ofHours(1), Duration.ofHours(1));
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    private final Semaphore freed = new Semaphore(0);
    private static DispatchDatabase world;
    private final QueueSlots slots = new QueueSlots(() -> { });
    private final CompletionWriter writer = new CompletionWriter(world.store, 100, world.transitions, slots);
    private volatile TaskHandler handler = (queue, task) -> new Outcome.Success("{}");
    private final WorkerExecutor workers = new WorkerExecutor(
            4, queue -> (q, task) -> handler.handle(q, task), writer, world.store,
            new RetryDecision(new Backoff(BackoffTest.fixed(0.0))), world.metrics, world.transitions,
            slots, freed::release, CLOCK);

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
        workers.close();
        writer.close();
    }

    @Test
    void aRetryableFailureIsRetriedAfterTheBackoffAndTheLastAttemptFails() throws Exception {
        Queue queue = world.queue(queueName, 10, RETRY);
        Task task = world.enqueue(queueName, 1).getFirst();
        handler = (q, t) -> new Outcome.Retry("503", Optional.empty());

        workers.start(world.claim(queueName, 1).getFirst(), queue);
        assertThat(world.next(1)).containsExactly("task.retrying " + task.id());
        Task retrying = world.find(task);
        assertThat(retrying.state()).isEqualTo(TaskState.PENDING);
        assertThat(retrying.runAt()).as("after the backoff").isAfter(Instant.now().plus(Duration.ofMinutes(59)));

        world.makeDue(task);
        workers.start(world.claim(queueName, 1).getFirst(), queue);
        assertThat(world.next(1)).containsExactly("task.failed " + task.id());
        assertThat(world.find(task).lastError()).isEqualTo("503 (attempt 2 of 2, none left)");
    }

    @Test
    void aHandlerThatThrowsIsRetriedAndAFailFailsAtOnceWhateverAttemptsRemain() throws Exception {
        Queue.RetryPolicy many = new Queue.RetryPolicy(5, Duration.ZERO, Duration.ZERO);
        Queue buggy = world.queue("buggy", 10, many);
        Queue refusing = world.queue("refusing", 10, many);
        Task bug = world.enqueue("buggy", 1).getFirst();
        Task refused = world.enqueue("refusing", 1).getFirst();
        handler = (q, t) -> {
            if (q.name().equals("buggy")) {
                throw new IllegalStateException("a bug");
            }
            return new Outcome.Fail("400");
        };

        workers.start(world.claim("buggy", 1).getFirst(), buggy);
        assertThat(world.next(1)).containsExactly("task.retrying " + bug.id());
        assertThat(world.find(bug).lastError()).contains("handler error", "a bug");
        workers.start(world.claim("refusing", 1).getFirst(), refusing);
        assertThat(world.next(1)).containsExactly("task.failed " + refused.id());
        assertThat(world.find(refused).lastError()).isEqualTo("400");
    }

    @Test
    void aRunningTaskHoldsItsQueueSlotUntilItsEndIsWritten() throws Exception {
        Queue queue = world.queue(queueName, 10, RETRY);
        world.enqueue(queueName, 1);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        handler = (q, t) -> {
            started.countDown();
            release.await();
            return new Outcome.Success("{}");
        };

        workers.start(world.claim(queueName, 1).getFirst(), queue);
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(slots.held(queueName)).isEqualTo(1);
        assertThat(workers.busy()).isEqualTo(1);
        assertThat(workers.free()).isEqualTo(7);

        release.countDown();
        assertThat(freed.tryAcquire(10, TimeUnit.SECONDS)).as("the worker is freed").isTrue();
        assertThat(workers.free()).isEqualTo(8);
        assertThat(world.next(1)).singleElement().asString().startsWith("task.succeeded");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(slots.held(queueName)).as("the queue's slot, once the end is written").isZero());
    }

    @Test
    void atTheDeadlineRunningTasksAreInterruptedAndHandedBackWithoutCountingTheAttempt() throws Exception {
        Queue queue = world.queue(queueName, 10, RETRY);
        Task task = world.enqueue(queueName, 1).getFirst();
        CountDownLatch started = new CountDownLatch(1);
        handler = (q, t) -> {
            started.countDown();
            new CountDownLatch(1).await(); // until interrupted
            return new Outcome.Success("{}");
        };
        workers.start(world.claim(queueName, 1).getFirst(), queue);
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        workers.drainUntil(CLOCK.instant()); // the deadline is now, on the worker's clock
        assertThat(workers.free()).as("no more claims while draining").isZero();
        workers.close();

        Task handedBack = world.find(task);
        assertThat(handedBack.state()).isEqualTo(TaskState.PENDING);
        assertThat(handedBack.attempts()).isZero();
        assertThat(world.announced).containsExactly("task.retrying " + task.id());
        assertThat(world.finished("released")).isEqualTo(1.0);
    }
}
