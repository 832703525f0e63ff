package io.spindle.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.spindle.error.SpindleException;
import io.spindle.task.Enqueued;
import io.spindle.task.NewTask;
import io.spindle.task.QueueStore;
import io.spindle.task.Task;
import io.spindle.task.TaskStore;

/**
 * Group commit for enqueues: single enqueues that arrive together share one transaction, one INSERT and one
 * commit, and each caller returns only after the commit that holds its task. There is no batching window;
 * each writer commits whatever waited while the previous commit ran, so a lone request pays one commit and
 * a crowd pays one commit per batch. The tasks a commit created go to the {@link TaskTransitions} in one call.
 * The backlog is bounded; when it is full, enqueue answers 503.
 */
public final class EnqueueCommitter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EnqueueCommitter.class.getName());

    private final TaskStore store;
    private final TaskTransitions transitions;
    private final int maxBatch;
    private final BlockingQueue<Request> backlog;
    private final List<Thread> writers = new ArrayList<>();
    private final Duration ackTimeout;
    private volatile boolean closed;

    private record Request(NewTask task, CompletableFuture<Enqueued> result) {
    }

    public EnqueueCommitter(TaskStore store, TaskTransitions transitions, Settings settings) {
        this.store = store;
        this.transitions = transitions;
        this.maxBatch = settings.maxBatch();
        this.backlog = new ArrayBlockingQueue<>(settings.backlog());
        this.ackTimeout = settings.ackTimeout();
        for (int i = 0; i < settings.writers(); i++) {
            writers.add(Thread.ofVirtual().name("enqueue-writer-" + i).start(this::writeLoop));
        }
    }

    /** Bounds of the group commit. */
    public record Settings(int writers, int maxBatch, int backlog, Duration ackTimeout) {
    }

    /**
     * Enqueues one task and returns once it is committed.
     *
     * @throws SpindleException.NotFound    when the queue does not exist
     * @throws SpindleException.Unavailable when the backlog is full, the service is stopping, or the
     *                                      database fails
     */
    public Enqueued enqueue(NewTask task) {
        if (closed) {
            throw new SpindleException.Unavailable("Spindle is shutting down.", Duration.ofSeconds(1), null);
        }
        Request request = new Request(task, new CompletableFuture<>());
        if (!backlog.offer(request)) {
            throw new SpindleException.Unavailable("Too many enqueues are waiting for a commit; try again shortly.",
                                                   Duration.ofSeconds(1), null);
        }
        try {
            return request.result().get(ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new SpindleException.Unavailable("The enqueue was not confirmed in time; it may or may not be stored.",
                                                   Duration.ofSeconds(1), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SpindleException.Unavailable("Interrupted while waiting for the commit.", Duration.ofSeconds(1), e);
        }
    }

    /**
     * Enqueues many tasks in one transaction: all or none.
     *
     * @throws SpindleException.NotFound when a task's queue does not exist (nothing is stored)
     */
    public List<Enqueued> enqueueAll(List<NewTask> tasks) {
        if (tasks.stream().map(NewTask::queue).distinct().count() > 1) {
            throw new IllegalArgumentException("a batch holds the tasks of one queue");
        }
        List<Optional<Enqueued>> results = commit(tasks, true);
        List<Enqueued> enqueued = new ArrayList<>(results.size());
        for (Optional<Enqueued> result : results) {
            enqueued.add(result.orElseThrow());
        }
        return enqueued;
    }

    private void writeLoop() {
        List<Request> batch = new ArrayList<>(maxBatch);
        while (true) {
            try {
                Request first = backlog.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closed) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                backlog.drainTo(batch, maxBatch - 1);
                writeBatch(batch);
            } catch (InterruptedException e) {
                failAll(new SpindleException.Unavailable("Spindle is shutting down.", Duration.ofSeconds(1), e));
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void writeBatch(List<Request> batch) {
        List<NewTask> tasks = new ArrayList<>(batch.size());
        batch.forEach(r -> tasks.add(r.task()));
        try {
            List<Optional<Enqueued>> results = commit(tasks, false);
            for (int i = 0; i < batch.size(); i++) {
                Request request = batch.get(i);
                results.get(i).ifPresentOrElse(request.result()::complete,
                        () -> request.result().completeExceptionally(QueueStore.notFound(request.task().queue())));
            }
        } catch (RuntimeException e) {
            batch.forEach(r -> r.result().completeExceptionally(e));
        }
    }

    /**
     * Inserts in one autocommit statement: one round trip and one commit. Results for a missing queue are
     * empty; with {@code allOrNone} (a client's batch, whose tasks all share one queue) a missing queue
     * means nothing was inserted, and the batch is refused.
     */
    private List<Optional<Enqueued>> commit(List<NewTask> tasks, boolean allOrNone) {
        List<Optional<Enqueued>> results = store.insert(tasks);
        if (allOrNone) {
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).isEmpty()) {
                    throw QueueStore.notFound(tasks.get(i).queue());
                }
            }
        }
        List<Task> created = new ArrayList<>(results.size());
        for (Optional<Enqueued> result : results) {
            if (result.isPresent() && result.get().created()) {
                created.add(result.get().task());
            }
        }
        transitions.created(created);
        return results;
    }

    private void failAll(RuntimeException failure) {
        List<Request> rest = new ArrayList<>();
        backlog.drainTo(rest);
        rest.forEach(r -> r.result().completeExceptionally(failure));
    }

    /** Stops taking enqueues; what is already waiting is still committed. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        for (Thread writer : writers) {
            writer.join(Duration.ofSeconds(10));
            if (writer.isAlive()) {
                LOG.log(Level.WARNING, "enqueue writer did not finish; interrupting");
                writer.interrupt();
            }
        }
        failAll(new SpindleException.Unavailable("Spindle is shutting down.", Duration.ofSeconds(1), null));
    }
}
