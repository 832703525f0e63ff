package io.spindle.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.spindle.handler.Outcome;
import io.spindle.handler.TaskHandler;
import io.spindle.observe.TaskMetrics;
import io.spindle.task.Completion;
import io.spindle.task.DispatchStore;
import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * Runs claimed tasks, each on a virtual thread of its own, bounded by a global {@link Semaphore}
 * ({@code worker.max-concurrent}) and by each queue's {@code maxConcurrent}. A queue's rate is waited for on
 * the task's virtual thread. Results go to the {@link CompletionWriter}; on shutdown, tasks still running at
 * the deadline are interrupted and handed back to pending without counting the attempt.
 */
public final class WorkerExecutor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WorkerExecutor.class.getName());

    private final int maxConcurrent;
    private final Semaphore permits;
    private final Map<Long, Thread> running = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> runningByQueue = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<DispatchStore.Attempt> interrupted = new ConcurrentLinkedQueue<>();
    private final Function<Queue, TaskHandler> handlers;
    private final QueueRateLimiters limiters;
    private final CompletionWriter completions;
    private final DispatchStore store;
    private final Backoff backoff;
    private final TaskMetrics metrics;
    private final Runnable slotFreed;
    private volatile Instant drainDeadline;

    public WorkerExecutor(int maxConcurrent,
                          Function<Queue, TaskHandler> handlers,
                          QueueRateLimiters limiters,
                          CompletionWriter completions,
                          DispatchStore store,
                          Backoff backoff,
                          TaskMetrics metrics,
                          Runnable slotFreed) {
        this.maxConcurrent = maxConcurrent;
        this.permits = new Semaphore(maxConcurrent);
        this.handlers = handlers;
        this.limiters = limiters;
        this.completions = completions;
        this.store = store;
        this.backoff = backoff;
        this.metrics = metrics;
        this.slotFreed = slotFreed;
        metrics.busyWorkers(this::busy);
    }

    /** Workers free now. Only the dispatcher starts tasks, so this many {@link #start} calls will not wait. */
    public int free() {
        return permits.availablePermits();
    }

    public int busy() {
        return maxConcurrent - permits.availablePermits();
    }

    /** Tasks of {@code queue} running on this instance. */
    public int running(String queue) {
        AtomicInteger count = runningByQueue.get(queue);
        return count == null ? 0 : count.get();
    }

    public void start(Task task, Queue queue) {
        permits.acquireUninterruptibly();
        runningByQueue.computeIfAbsent(queue.name(), q -> new AtomicInteger()).incrementAndGet();
        Thread thread = Thread.ofVirtual().name("task-" + task.id()).unstarted(() -> run(task, queue));
        running.put(task.id(), thread);
        thread.start();
    }

    private void run(Task task, Queue queue) {
        try {
            limiters.acquire(queue);
            long start = System.nanoTime();
            Outcome outcome;
            try {
                outcome = handlers.apply(queue).handle(queue, task);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "handler of queue " + queue.name() + " failed on task " + task.id(), e);
                outcome = new Outcome.Retry("handler error: " + e, Optional.empty());
            }
            metrics.dispatched(queue.name(), Duration.ofNanos(System.nanoTime() - start));
            completions.submit(completion(task, queue, outcome));
        } catch (InterruptedException e) {
            interrupted.add(new DispatchStore.Attempt(task.id(), task.attempts()));
        } finally {
            running.remove(task.id());
            runningByQueue.get(queue.name()).decrementAndGet();
            permits.release();
            slotFreed.run();
        }
    }

    private Completion completion(Task task, Queue queue, Outcome outcome) {
        return switch (outcome) {
            case Outcome.Success success -> Completion.succeeded(task, success.resultJson());
            case Outcome.Fail fail -> Completion.failed(task, fail.error());
            case Outcome.Retry retry when task.attempts() >= task.maxAttempts() -> Completion.failed(
                    task, retry.error() + " (attempt " + task.attempts() + " of " + task.maxAttempts() + ", none left)");
            case Outcome.Retry retry -> Completion.retry(
                    task, retry.error(), backoff.after(queue.retry(), task.attempts(), retry.notBefore()).toMillis());
        };
    }

    /** Sets when running tasks stop being waited for; called when shutdown begins. */
    public void drainUntil(Instant deadline) {
        drainDeadline = deadline;
    }

    /**
     * Waits for running tasks until the drain deadline, interrupts the rest, and returns interrupted tasks to
     * pending without counting their attempt.
     */
    @Override
    public void close() throws InterruptedException {
        Instant deadline = drainDeadline == null ? Instant.now() : drainDeadline;
        while (!running.isEmpty() && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        List<Thread> left = new ArrayList<>(running.values());
        if (!left.isEmpty()) {
            LOG.info(() -> "interrupting " + left.size() + " tasks still running at the shutdown deadline");
            left.forEach(Thread::interrupt);
            for (Thread thread : left) {
                thread.join(Duration.ofSeconds(2));
            }
        }
        List<DispatchStore.Attempt> handBack = new ArrayList<>(interrupted);
        if (!handBack.isEmpty()) {
            try {
                store.release(handBack);
                LOG.info(() -> "returned " + handBack.size() + " interrupted tasks to pending");
            } catch (RuntimeException e) {
                LOG.warning(() -> "could not return " + handBack.size() + " tasks to pending (" + e.getMessage()
                        + "); their leases will expire and any instance will rescue them");
            }
        }
    }
}
