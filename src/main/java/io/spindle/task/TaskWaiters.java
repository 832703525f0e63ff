package io.spindle.task;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.spindle.error.SpindleException;

/**
 * Long-poll support: requests waiting for tasks to finish park here and are woken when a task's final state
 * (or a client's retry of it) is committed, on this instance or (through {@code spindle_done}) on another. The number of waiting
 * requests is bounded; past it, a wait is refused with 503.
 */
public final class TaskWaiters implements AutoCloseable {
    private final int maxWaiters;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Map<Long, Set<CompletableFuture<Void>>> byTask = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public TaskWaiters(int maxWaiters) {
        this.maxWaiters = maxWaiters;
    }

    /**
     * Returns the task once {@code read} shows it finished, or as it is when {@code wait} runs out.
     * {@code read} is called again after registering, so a completion between the first read and the
     * registration is not missed.
     */
    public Task await(long taskId, Duration wait, Supplier<Task> read) throws InterruptedException {
        Task task = read.get();
        if (task.state().isFinished() || wait.isZero() || closed) {
            return task;
        }
        if (waiting.incrementAndGet() > maxWaiters) {
            waiting.decrementAndGet();
            throw new SpindleException.Unavailable("Too many requests are waiting for tasks; try again shortly.",
                                                   Duration.ofSeconds(1), null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        byTask.computeIfAbsent(taskId, id -> ConcurrentHashMap.newKeySet()).add(done);
        try {
            task = read.get();
            if (task.state().isFinished()) {
                return task;
            }
            try {
                done.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // the wait ran out: answer with the task as it is
            }
            return read.get();
        } finally {
            waiting.decrementAndGet();
            byTask.computeIfPresent(taskId, (id, set) -> set.remove(done) && set.isEmpty() ? null : set);
        }
    }

    /** Wakes everyone waiting for these tasks; each re-reads its task and answers with it. */
    public void wake(Collection<Long> taskIds) {
        for (Long id : taskIds) {
            Set<CompletableFuture<Void>> waiters = byTask.get(id);
            if (waiters != null) {
                waiters.forEach(w -> w.complete(null));
            }
        }
    }

    /** Wakes every waiter (they re-read): after missed notifications, e.g. a listener reconnect. */
    public void wakeAll() {
        byTask.values().forEach(set -> set.forEach(w -> w.complete(null)));
    }

    /** Requests waiting now (at most {@code maxWaiters}), for the {@code spindle_tasks_waiting} gauge. */
    public int waiting() {
        return waiting.get();
    }

    /** Answers every waiting request now (shutdown); later waits return at once. */
    @Override
    public void close() {
        closed = true;
        wakeAll();
    }
}
