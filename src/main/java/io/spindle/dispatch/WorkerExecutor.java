package io.spindle.dispatch;

import java.time.Clock;
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
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.spindle.handler.Outcome;
import io.spindle.handler.TaskHandler;
import io.spindle.task.AttemptEnd;
import io.spindle.task.Completion;
import io.spindle.task.DispatchStore;
import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * Runs claimed tasks, each on a virtual thread of its own, bounded by a global {@link Semaphore}
 * ({@code worker.max-concurrent}) and by each queue's {@code maxConcurrent}. The dispatcher may claim ahead:
 * up to as many tasks again as there are workers wait for a permit on their own virtual threads, so the next
 * claim overlaps the running deliveries instead of following them (a queue's rate is held by the claim). Results go to the {@link CompletionWriter}; on shutdown, tasks still waiting are
 * handed back at once, and tasks still running at the deadline are interrupted and handed back too, in both
 * cases to pending without counting the attempt.
 */
public final class WorkerExecutor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WorkerExecutor.class.getName());

    private final int maxConcurrent;
    private final int maxClaimed;
    private final Semaphore permits;
    private final AtomicInteger claimed = new AtomicInteger();
    private final Map<Long, Thread> waiting = new ConcurrentHashMap<>();
    private volatile boolean draining;
    private final Map<Long, Thread> running = new ConcurrentHashMap<>();
    private final QueueSlots slots;
    private final ConcurrentLinkedQueue<DispatchStore.Attempt> interrupted = new ConcurrentLinkedQueue<>();
    private final Function<Queue, TaskHandler> handlers;
    private final CompletionWriter completions;
    private final DispatchStore store;
    private final RetryDecision retry;
    private final TaskMetrics metrics;
    private final TaskTransitions transitions;
    private final Runnable slotFreed;
    private final Clock clock;
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    private volatile Instant drainDeadline;

    public WorkerExecutor(int maxConcurrent,
                          Function<Queue, TaskHandler> handlers,
                          CompletionWriter completions,
                          DispatchStore store,
                          RetryDecision retry,
                          TaskMetrics metrics,
                          TaskTransitions transitions,
                          QueueSlots slots,
                          Runnable slotFreed,
                          Clock clock) {
        this.maxConcurrent = maxConcurrent;
        this.maxClaimed = 2 * maxConcurrent;
        this.permits = new Semaphore(maxConcurrent);
        this.handlers = handlers;
        this.completions = completions;
        this.store = store;
        this.retry = retry;
        this.metrics = metrics;
        this.transitions = transitions;
        this.slots = slots;
        this.slotFreed = slotFreed;
        this.clock = clock;
        metrics.busyWorkers(this::busy);
    }

    /** How many more tasks the dispatcher may claim now: free workers plus room to wait for one. */
    public int free() {
        return draining ? 0 : maxClaimed - claimed.get();
    }

    public int busy() {
        return maxConcurrent - permits.availablePermits();
    }

    public void start(Task task, Queue queue) {
        claimed.incrementAndGet();
        slots.take(queue.name());
        Thread thread = Thread.ofVirtual().name("task-" + task.id()).unstarted(() -> run(task, queue));
        waiting.put(task.id(), thread);
        thread.start();
    }

    private void run(Task task, Queue queue) {
        boolean permitted = false;
        boolean submitted = false; // then the completion writer frees the task's slot once its end commits
        try {
            permits.acquire();
            permitted = true;
            if (draining) {
                throw new InterruptedException("shutting down before the task started");
            }
            running.put(task.id(), Thread.currentThread());
            waiting.remove(task.id());
            long start = System.nanoTime();
            Outcome outcome;
            try {
                outcome = handlers.apply(queue).handle(queue, task);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "handler of queue " + queue.name() + " failed on task " + task.id(), e);
                outcome = new Outcome.Retry("handler error: " + e, Optional.empty());
            }
            metrics.dispatched(queue.name(), Duration.ofNanos(System.nanoTime() - start));
            switch (outcome) {
                case Outcome.Accepted accepted -> { } // stays running; its backend reports
                case Outcome.Refused refused -> handBack(task, refused);
                default -> {
                    completions.submit(Completion.of(task, end(task, queue, outcome)));
                    submitted = true;
                }
            }
        } catch (InterruptedException e) {
            interrupted.add(new DispatchStore.Attempt(task.id(), task.attempts()));
        } finally {
            waiting.remove(task.id());
            if (running.remove(task.id()) != null && running.isEmpty()) {
                signalIdle();
            }
            if (permitted) {
                permits.release();
            }
            claimed.decrementAndGet();
            if (!submitted) {
                slots.free(queue.name());
            }
            slotFreed.run();
        }
    }

    private AttemptEnd end(Task task, Queue queue, Outcome outcome) {
        return switch (outcome) {
            case Outcome.Success success -> new AttemptEnd.Succeeded(success.resultJson());
            case Outcome.Fail fail -> new AttemptEnd.Failed(fail.error());
            case Outcome.Retry again -> retry.afterFailure(task, queue.retry(), again.error(), again.notBefore());
            case Outcome.Accepted accepted -> throw new IllegalArgumentException("an accepted task has not ended");
            case Outcome.Refused refused -> throw new IllegalArgumentException("a refused task did not start");
        };
    }

    /** A task no backend would take: back to pending now, its attempt not counted. */
    private void handBack(Task task, Outcome.Refused refused) {
        try {
            transitions.released(store.release(List.of(new DispatchStore.Attempt(task.id(), task.attempts()))));
        } catch (RuntimeException e) {
            LOG.warning(() -> "could not hand back task " + task.id() + " (" + refused.reason() + "): " + e.getMessage()
                              + "; its lease will expire");
        }
    }

    private void signalIdle() {
        idleLock.lock();
        try {
            idle.signalAll();
        } finally {
            idleLock.unlock();
        }
    }

    /** Waits until no task runs or {@code deadline} (on the clock) passes. */
    private void awaitIdle(Instant deadline) throws InterruptedException {
        long nanos = Math.max(0, Duration.between(clock.instant(), deadline).toNanos());
        idleLock.lock();
        try {
            while (!running.isEmpty() && nanos > 0) {
                nanos = idle.awaitNanos(nanos);
            }
        } finally {
            idleLock.unlock();
        }
    }

    /**
     * Shutdown begins: running tasks are waited for until {@code deadline}; tasks still waiting for a worker
     * are interrupted now, to be handed back.
     */
    public void drainUntil(Instant deadline) {
        drainDeadline = deadline;
        draining = true;
        waiting.values().forEach(Thread::interrupt);
    }

    /**
     * Waits for running tasks until the drain deadline, interrupts the rest, and returns interrupted tasks to
     * pending without counting their attempt.
     */
    @Override
    public void close() throws InterruptedException {
        Instant deadline = drainDeadline == null ? clock.instant() : drainDeadline;
        draining = true;
        waiting.values().forEach(Thread::interrupt);
        awaitIdle(deadline);
        List<Thread> left = new ArrayList<>(running.values());
        left.addAll(waiting.values());
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
                transitions.released(store.release(handBack));
                LOG.info(() -> "returned " + handBack.size() + " interrupted tasks to pending");
            } catch (RuntimeException e) {
                LOG.warning(() -> "could not return " + handBack.size() + " tasks to pending (" + e.getMessage()
                        + "); their leases will expire and any instance will rescue them");
            }
        }
    }
}
