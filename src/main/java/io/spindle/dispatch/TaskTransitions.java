package io.spindle.dispatch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import io.spindle.db.Notifications;
import io.spindle.task.Task;
import io.spindle.task.TaskEvent;
import io.spindle.task.TaskEvents;
import io.spindle.task.TaskState;
import io.spindle.task.TaskWaiters;

/**
 * The one place where a change of a task's state has its effects. Every writer hands in the rows its guarded
 * statement returned (one call per batch), and each batch gets, in this order: its metrics; its events on
 * {@code tasks.{queue}}; the long-polls of tasks that finished (or were sent back by a client) woken; the
 * dispatcher rung when tasks are pending again; and the same news for other instances over
 * {@code LISTEN/NOTIFY}. Events come before the wake-ups, so a task's {@code task.started} can never overtake
 * its {@code task.created}. Tasks pending in a paused queue ring and tell nobody: no instance claims from it,
 * and its resume rings every dispatcher. docs/state-machine.md lists the transitions.
 */
public final class TaskTransitions {

    /** Sends items on a notification channel to the other instances (the coalescing Notifier). */
    @FunctionalInterface
    public interface Broadcast {
        void send(String channel, Collection<String> items);
    }

    /** What happened to the rows of one call. */
    private enum Kind {
        CREATED, STARTED, EXTENDED, ATTEMPT_ENDED, RESCUED, CANCELLED, REDRIVEN, RELEASED
    }

    private final TaskMetrics metrics;
    private final TaskEvents events;
    private final TaskWaiters waiters;
    private final Runnable dispatcher;
    private final Broadcast others;
    private final Predicate<String> paused;

    /**
     * @param dispatcher rings this instance's dispatcher ({@link Wakeup#ring})
     * @param paused     whether a queue is paused ({@link QueueCatalog#paused})
     */
    public TaskTransitions(TaskMetrics metrics, TaskEvents events, TaskWaiters waiters, Runnable dispatcher,
                           Broadcast others, Predicate<String> paused) {
        this.metrics = metrics;
        this.events = events;
        this.waiters = waiters;
        this.dispatcher = dispatcher;
        this.others = others;
        this.paused = paused;
    }

    /** pending, new: enqueued (rows created now; those found by idempotency key are not transitions). */
    public void created(List<Task> tasks) {
        apply(Kind.CREATED, tasks);
    }

    /** pending → running: claimed by this instance. Call before the tasks start, so that started comes first. */
    public void started(List<Task> tasks) {
        if (!tasks.isEmpty()) {
            metrics.claimed(tasks.size());
        }
        apply(Kind.STARTED, tasks);
    }

    /** running, still: a long task's backend extended the lease (a heartbeat); counted, not announced. */
    public void extended(Task task) {
        metrics.heartbeat(task.queue());
    }

    /** running → succeeded, pending (retrying) or failed: attempts that reported their end. */
    public void attemptsEnded(List<Task> tasks) {
        apply(Kind.ATTEMPT_ENDED, tasks);
    }

    /** running → pending (retrying) or failed: attempts whose lease expired. */
    public void rescued(List<Task> tasks) {
        apply(Kind.RESCUED, tasks);
    }

    /** pending → cancelled, by a client. */
    public void cancelled(Task task) {
        apply(Kind.CANCELLED, List.of(task));
    }

    /** failed or cancelled → pending, by a client's retry. */
    public void redriven(Task task) {
        apply(Kind.REDRIVEN, List.of(task));
    }

    /** failed or cancelled → pending, by a client's bulk redrive (one call per batch). */
    public void redriven(List<Task> tasks) {
        apply(Kind.REDRIVEN, tasks);
    }

    /** running → pending without counting the attempt: handed back at shutdown. */
    public void released(List<Task> tasks) {
        apply(Kind.RELEASED, tasks);
    }

    private void apply(Kind kind, List<Task> tasks) {
        if (tasks.isEmpty()) {
            return;
        }
        List<Long> settled = new ArrayList<>();
        Set<String> pendingIn = new LinkedHashSet<>();
        for (Task task : tasks) {
            count(kind, task);
            events.emit(kind == Kind.CREATED ? TaskEvent.CREATED : TaskEvent.of(task.state()), task);
            if (task.state().isFinished() || kind == Kind.REDRIVEN) {
                settled.add(task.id());
            }
            if (task.state() == TaskState.PENDING) {
                pendingIn.add(task.queue());
            }
        }
        pendingIn.removeIf(paused); // once a queue, not once a task
        if (!settled.isEmpty()) {
            waiters.wake(settled);
        }
        if (!pendingIn.isEmpty()) {
            dispatcher.run();
        }
        others.send(Notifications.WAKE, pendingIn);
        others.send(Notifications.DONE, settled.stream().map(String::valueOf).toList());
    }

    private void count(Kind kind, Task task) {
        String queue = task.queue();
        switch (kind) {
            case CREATED -> metrics.enqueued(queue);
            case STARTED -> metrics.started(queue);
            case EXTENDED -> metrics.heartbeat(queue);
            case ATTEMPT_ENDED -> metrics.finished(queue, task.state() == TaskState.PENDING ? "retried" : task.state().dbName());
            case RESCUED -> metrics.finished(queue, "rescued");
            case CANCELLED -> metrics.finished(queue, "cancelled");
            case REDRIVEN -> metrics.redriven(queue);
            case RELEASED -> metrics.finished(queue, "released");
        }
    }
}
