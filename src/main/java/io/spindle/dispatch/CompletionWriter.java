package io.spindle.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import io.spindle.task.Completion;
import io.spindle.task.DispatchStore;
import io.spindle.task.Task;

/**
 * Writes attempt results back in batches: workers hand in a {@link Completion} and go on; one writer
 * commits whatever has gathered in one statement and hands the rows it changed to the {@link TaskTransitions}
 * in one call, freeing the ended tasks' {@link QueueSlots} once the batch has committed. The hand-in queue is
 * bounded (a worker waits when it is full). When the database is down the writer keeps retrying the same batch; a result that is never written
 * is not lost work, since the lease expires and the task runs again.
 */
public final class CompletionWriter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CompletionWriter.class.getName());
    private static final int MAX_BATCH = 1000;
    private static final Duration RETRY_DELAY = Duration.ofMillis(500);

    private final DispatchStore store;
    private final TaskTransitions transitions;
    private final QueueSlots slots;
    private final BlockingQueue<Completion> pending;
    private final Thread writer;
    private volatile boolean closed;

    public CompletionWriter(DispatchStore store, int capacity, TaskTransitions transitions, QueueSlots slots) {
        this.store = store;
        this.transitions = transitions;
        this.slots = slots;
        this.pending = new ArrayBlockingQueue<>(capacity);
        this.writer = Thread.ofVirtual().name("completion-writer").start(this::run);
    }

    /** Hands in one result; waits while the queue is full. */
    public void submit(Completion completion) throws InterruptedException {
        pending.put(completion);
    }

    private void run() {
        List<Completion> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            try {
                if (batch.isEmpty()) {
                    Completion first = pending.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        if (closed) {
                            return;
                        }
                        continue;
                    }
                    batch.add(first);
                }
                pending.drainTo(batch, MAX_BATCH - batch.size());
                List<Task> ended = store.complete(batch);
                List<String> freed = batch.stream().map(Completion::queue).toList();
                batch.clear();
                transitions.attemptsEnded(ended);
                // only after the events: a retried task claimed again at the ring must not start before its retrying
                slots.free(freed);
            } catch (InterruptedException e) {
                LOG.warning(() -> "completion writer interrupted with " + (pending.size()) + " results unwritten");
                return;
            } catch (RuntimeException e) {
                LOG.warning(() -> "cannot write " + batch.size() + " task results (" + e.getMessage() + "); retrying");
                if (closed || !sleep()) {
                    return;
                }
            }
        }
    }

    private static boolean sleep() {
        try {
            Thread.sleep(RETRY_DELAY);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Writes what was handed in, then stops; gives up after {@code deadline} (the leases cover the rest). */
    public void close(Duration deadline) throws InterruptedException {
        closed = true;
        if (!writer.join(deadline)) {
            writer.interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        close(Duration.ofSeconds(5));
    }
}
