package io.spindle.dispatch;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.spindle.error.SpindleException;
import io.spindle.task.AttemptEnd;
import io.spindle.task.Completion;
import io.spindle.task.DispatchStore;
import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import io.spindle.task.QueueStore;
import io.spindle.task.Task;
import io.spindle.task.TaskStore;

/**
 * What the backend of a long task (one that answered {@code 202 Accepted}) reports with the attempt's lease
 * token: a heartbeat (the lease lasts the handler timeout and the lease margin from now), the task's result, or
 * its failure. A token whose attempt is no longer current (rescued, released or finished) is refused with a
 * conflict, so a rescued attempt can never end a task twice. Ends go through the same guarded statement and
 * transitions as a worker's.
 */
public final class LeaseCommands {
    private final DispatchStore store;
    private final QueueCatalog catalog;
    private final TaskStore tasks;
    private final RetryDecision retry;
    private final TaskTransitions transitions;
    private final Duration leaseMargin;

    public LeaseCommands(DispatchStore store, QueueCatalog catalog, TaskStore tasks, RetryDecision retry,
                         TaskTransitions transitions, Duration leaseMargin) {
        this.store = store;
        this.catalog = catalog;
        this.tasks = tasks;
        this.retry = retry;
        this.transitions = transitions;
        this.leaseMargin = leaseMargin;
    }

    /** How a backend says the task failed: retried after the backoff (or {@code retryAfter}), or for good. */
    public record Failure(String error, Optional<Duration> retryAfter, boolean permanent) {
    }

    public Task heartbeat(String queueName, long id, UUID token) {
        Queue queue = queue(queueName);
        Duration timeout = queue.handler() instanceof HandlerSpec.Http http ? http.timeout() : Duration.ofSeconds(30);
        Task task = store.extendLease(queueName, id, token, timeout.plus(leaseMargin))
                .orElseThrow(() -> stale(queueName, id));
        transitions.extended(task);
        return task;
    }

    public Task complete(String queueName, long id, UUID token, String resultJson) {
        queue(queueName);
        Task task = current(queueName, id, token);
        return end(queueName, id, Completion.of(task, new AttemptEnd.Succeeded(resultJson)));
    }

    public Task fail(String queueName, long id, UUID token, Failure failure) {
        Queue queue = queue(queueName);
        Task task = current(queueName, id, token);
        AttemptEnd end = failure.permanent()
                ? new AttemptEnd.Failed(failure.error())
                : retry.afterFailure(task, queue.retry(), failure.error(), failure.retryAfter());
        return end(queueName, id, Completion.of(task, end));
    }

    private Task end(String queue, long id, Completion completion) {
        List<Task> ended = store.complete(List.of(completion));
        if (ended.isEmpty()) {
            throw stale(queue, id); // rescued or ended between the read and the write
        }
        transitions.attemptsEnded(ended);
        return ended.getFirst();
    }

    private Task current(String queue, long id, UUID token) {
        return store.runningWithLease(queue, id, token).orElseThrow(() -> stale(queue, id));
    }

    private Queue queue(String name) {
        Queue queue = catalog.all().get(name);
        if (queue == null) {
            catalog.refresh();
            queue = catalog.all().get(name);
        }
        if (queue == null) {
            throw QueueStore.notFound(name);
        }
        return queue;
    }

    private SpindleException stale(String queue, long id) {
        Task task = tasks.find(queue, id).orElseThrow(() -> TaskStore.notFound(queue, id));
        return new SpindleException.Conflict("The lease token of task " + id + " is not that of its current attempt "
                                             + "(the task is " + task.state().dbName() + ", attempt " + task.attempts()
                                             + "); the attempt was rescued or has ended.");
    }
}
