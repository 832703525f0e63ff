package io.spindle.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

import io.spindle.task.Completion;
import io.spindle.task.DispatchStore;
import io.spindle.task.Task;

/**
 * Writes attempt results back in batches: workers hand in a {@link Completion} and go on; one writer
 * commits whatever has gathered in one statement. The hand-in queue is bounded (a worker waits when it is
 * full). When the database is down the writer keeps retrying the same batch; a result that is never written
 * is not lost work, since the lease expires and the task runs again.
 */
public final class CompletionWriter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CompletionWriter.class.getName());
    private static final int MAX_BATCH = 1000;
    private static final Duration RETRY_DELAY = Duration.ofMillis(500);

    private final DispatchStore store;
    private final Consumer<List<Task>> written;
    private final BlockingQueue<Completion> pending;
    private final Thread writer;
    private volatile boolean closed;

    /**
     * @param written told, after each commit, the tasks as they now are (so waiters, metrics and the
     *                dispatcher can react)
     */
    public CompletionWriter(DispatchStore store, int capacity, Consumer<List<Task>> written) {
        this.store = store;
        this.written = written;
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
                List<Task> tasks = store.complete(batch);
                batch.clear();
                written.accept(tasks);
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

    int backlog() {
        return pending.size();
    }
}
