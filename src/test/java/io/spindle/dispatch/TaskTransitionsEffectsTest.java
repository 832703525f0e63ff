package io.spindle.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.db.Notifications;
import io.spindle.task.Task;
import io.spindle.task.TaskState;
import io.spindle.task.TaskWaiters;
import org.junit.jupiter.api.Test;

/**
 * What {@link TaskTransitions} does for each kind of batch, in which order, and that a batch costs one
 * notification per channel however many rows it holds.
 */
class TaskTransitionsEffectsTest {
    private final List<String> effects = new CopyOnWriteArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TaskWaiters waiters = new TaskWaiters(10);
    private final TaskTransitions transitions = new TaskTransitions(
            new TaskMetrics(registry),
            (event, task) -> effects.add(event.type() + " " + task.id()),
            waiters,
            () -> effects.add("ring"),
            (channel, items) -> {
                if (!items.isEmpty()) {
                    effects.add(channel + " " + items);
                }
            },
            queue -> queue.equals("paused"));

    @Test
    void aBatchOfEndedAttemptsIsCountedAnnouncedWokenRungAndBroadcastInThatOrder() {
        transitions.attemptsEnded(List.of(task(1, TaskState.SUCCEEDED), task(2, TaskState.PENDING), task(3, TaskState.FAILED)));

        assertThat(effects).containsExactly(
                "task.succeeded 1", "task.retrying 2", "task.failed 3",
                "ring",
                Notifications.WAKE + " [q]",
                Notifications.DONE + " [1, 3]");
        assertThat(count("spindle.tasks.finished", "succeeded")).isEqualTo(1.0);
        assertThat(count("spindle.tasks.finished", "retried")).isEqualTo(1.0);
        assertThat(count("spindle.tasks.finished", "failed")).isEqualTo(1.0);
    }

    @Test
    void createdTasksAreAnnouncedAsCreatedBeforeTheDispatcherIsRung() {
        transitions.created(List.of(task(1, TaskState.PENDING), task(2, TaskState.PENDING)));

        assertThat(effects).containsExactly("task.created 1", "task.created 2", "ring", Notifications.WAKE + " [q]");
        assertThat(registry.get("spindle.tasks.enqueued").counter().count()).isEqualTo(2.0);
    }

    @Test
    void tasksPendingInAPausedQueueAreCountedAndAnnouncedButRingAndTellNobody() {
        transitions.created(List.of(task(1, "paused", TaskState.PENDING)));
        transitions.attemptsEnded(List.of(task(2, "paused", TaskState.PENDING), task(3, "paused", TaskState.SUCCEEDED)));
        transitions.created(List.of(task(4, "paused", TaskState.PENDING), task(5, TaskState.PENDING)));

        assertThat(effects).containsExactly(
                "task.created 1",
                "task.retrying 2", "task.succeeded 3", Notifications.DONE + " [3]",
                "task.created 4", "task.created 5", "ring", Notifications.WAKE + " [q]");
        assertThat(registry.get("spindle.tasks.enqueued").tag("queue", "paused").counter().count()).isEqualTo(2.0);
    }

    @Test
    void startedTasksAreCountedAndAnnouncedButWakeNothing() {
        transitions.started(List.of(task(1, TaskState.RUNNING), task(2, TaskState.RUNNING)));

        assertThat(effects).containsExactly("task.started 1", "task.started 2");
        assertThat(registry.get("spindle.tasks.started").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("spindle.dispatch.claim.batch").summary().count()).isEqualTo(1);
    }

    @Test
    void aCancelEndsTheTasksLongPoll() throws Exception {
        CompletableFuture<Task> answer = longPoll(7, task(7, TaskState.CANCELLED));

        transitions.cancelled(task(7, TaskState.CANCELLED));

        assertThat(answer.get(5, TimeUnit.SECONDS).state()).isEqualTo(TaskState.CANCELLED);
        assertThat(effects).containsExactly("task.cancelled 7", Notifications.DONE + " [7]");
        assertThat(count("spindle.tasks.finished", "cancelled")).isEqualTo(1.0);
    }

    @Test
    void aClientRetryWakesTheTasksLongPollsHereAndElsewhereAndTheDispatcher() throws Exception {
        CompletableFuture<Task> answer = longPoll(8, task(8, TaskState.PENDING));

        transitions.redriven(task(8, TaskState.PENDING));

        assertThat(answer.get(5, TimeUnit.SECONDS).state()).isEqualTo(TaskState.PENDING);
        assertThat(effects).containsExactly(
                "task.retrying 8", "ring", Notifications.WAKE + " [q]", Notifications.DONE + " [8]");
        assertThat(registry.get("spindle.tasks.redriven").counter().count()).isEqualTo(1.0);
    }

    @Test
    void rescuedAndReleasedTasksAreCountedByWhatHappenedToTheAttempt() {
        transitions.rescued(List.of(task(1, TaskState.PENDING), task(2, TaskState.FAILED)));
        transitions.released(List.of(task(3, TaskState.PENDING)));

        assertThat(effects).containsExactly(
                "task.retrying 1", "task.failed 2", "ring", Notifications.WAKE + " [q]", Notifications.DONE + " [2]",
                "task.retrying 3", "ring", Notifications.WAKE + " [q]");
        assertThat(count("spindle.tasks.finished", "rescued")).isEqualTo(2.0);
        assertThat(count("spindle.tasks.finished", "released")).isEqualTo(1.0);
    }

    @Test
    void anEmptyBatchHasNoEffect() {
        transitions.attemptsEnded(List.of());
        transitions.started(List.of());
        assertThat(effects).isEmpty();
        assertThat(registry.getMeters()).extracting(m -> m.getId().getName()).doesNotContain("spindle.tasks.finished");
    }

    private double count(String name, String outcome) {
        return registry.get(name).tag("outcome", outcome).counter().count();
    }

    /**
     * A long-poll parked on task {@code id}: the task reads as running until {@code after} is announced.
     * Returns once the waiter is registered (its second read), so a wake cannot come too early.
     */
    private CompletableFuture<Task> longPoll(long id, Task after) throws InterruptedException {
        CountDownLatch registered = new CountDownLatch(2);
        AtomicReference<Task> current = new AtomicReference<>(task(id, TaskState.RUNNING));
        CompletableFuture<Task> answer = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                answer.complete(waiters.await(id, Duration.ofMinutes(1), () -> {
                    Task read = current.get();
                    registered.countDown();
                    return read;
                }));
            } catch (InterruptedException | RuntimeException e) {
                answer.completeExceptionally(e);
            }
        });
        assertThat(registered.await(5, TimeUnit.SECONDS)).isTrue();
        current.set(after);
        return answer;
    }

    private static Task task(long id, TaskState state) {
        return task(id, "q", state);
    }

    private static Task task(long id, String queue, TaskState state) {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        return new Task(id, queue, state, "{}", 0, now, 1, 3, null, null, null, now, now, null);
    }
}
