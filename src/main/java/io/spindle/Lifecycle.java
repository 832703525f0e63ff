package io.spindle;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The one owner of everything that must be closed: resources are registered as they are created and
 * closed in reverse order, each within its own deadline, by {@link #close()} or by the single JVM
 * shutdown hook that {@link #installShutdownHook()} adds.
 */
public final class Lifecycle implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Lifecycle.class.getName());

    private final Deque<Step> steps = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean hookInstalled = new AtomicBoolean();

    private record Step(String name, AutoCloseable resource, Duration deadline) {
    }

    /**
     * Registers a resource to be closed before every resource registered earlier.
     *
     * @return the resource, so creation and registration read as one expression
     */
    public <T extends AutoCloseable> T register(String name, Duration deadline, T resource) {
        lock.lock();
        try {
            if (!closed.get()) {
                steps.push(new Step(name, resource, deadline));
                LOG.info(() -> "lifecycle registered " + name);
                return resource;
            }
        } finally {
            lock.unlock();
        }
        // shutdown began while this was being created (a signal during start-up): close it now, not never
        closeStep(new Step(name, resource, deadline));
        throw new IllegalStateException("lifecycle already closed; " + name + " was closed at once");
    }

    /** True once closing has begun. */
    public boolean isClosing() {
        return closed.get();
    }

    /**
     * Adds the one JVM shutdown hook that closes this lifecycle. JUL resets its handlers in a hook of its
     * own; a root handler that waits for ours keeps the shutdown log lines from being lost.
     */
    public void installShutdownHook() {
        if (!hookInstalled.compareAndSet(false, true)) {
            return;
        }
        CountDownLatch hookDone = new CountDownLatch(1);
        Thread hook = Thread.ofPlatform().name("spindle-shutdown").unstarted(() -> {
            try {
                LOG.info("shutdown requested");
                close();
            } finally {
                hookDone.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        Logger root = LogManager.getLogManager().getLogger("");
        Handler[] existing = root.getHandlers();
        for (Handler handler : existing) {
            root.removeHandler(handler);
        }
        root.addHandler(new AwaitShutdownHandler(hook, hookDone));
        for (Handler handler : existing) {
            root.addHandler(handler);
        }
    }

    /** Closes every registered resource in reverse order of registration; later calls do nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long start = System.nanoTime();
        while (true) {
            Step step;
            lock.lock();
            try {
                step = steps.poll();
            } finally {
                lock.unlock();
            }
            if (step == null) {
                break;
            }
            closeStep(step);
        }
        LOG.info(() -> "shutdown complete in " + millisSince(start) + " ms");
    }

    private static void closeStep(Step step) {
        long start = System.nanoTime();
        Thread closer = Thread.ofPlatform().daemon(true).name("spindle-close-" + step.name()).start(() -> {
            try {
                step.resource().close();
            } catch (Exception e) {
                LOG.warning(() -> "shutdown step " + step.name() + " failed: " + e);
            }
        });
        boolean finished;
        try {
            finished = closer.join(step.deadline());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finished = false;
        }
        if (finished) {
            LOG.info(() -> "shutdown step " + step.name() + " done in " + millisSince(start) + " ms");
        } else {
            closer.interrupt();
            LOG.warning(() -> "shutdown step " + step.name() + " exceeded its deadline of "
                    + step.deadline().toMillis() + " ms; moving on");
        }
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /**
     * Holds JUL's reset (which closes handlers in order) until our shutdown hook has finished. The JVM starts
     * shutdown hooks in no fixed order, so JUL's may reset before ours has even started: waiting on a latch that
     * our hook counts down, rather than joining its thread (which returns at once for a thread not yet started),
     * keeps the shutdown log. A reset outside JVM shutdown (re-reading the logging configuration) is not held.
     */
    private static final class AwaitShutdownHandler extends Handler {
        private final Thread hook;
        private final CountDownLatch hookDone;

        private AwaitShutdownHandler(Thread hook, CountDownLatch hookDone) {
            this.hook = hook;
            this.hookDone = hookDone;
        }

        @Override
        public void publish(LogRecord record) {
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            if (Thread.currentThread() == hook || !jvmShuttingDown()) {
                return;
            }
            try {
                hookDone.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static boolean jvmShuttingDown() {
            Thread probe = new Thread(() -> { });
            try {
                Runtime.getRuntime().addShutdownHook(probe);
                Runtime.getRuntime().removeShutdownHook(probe);
                return false;
            } catch (IllegalStateException e) {
                return true;
            }
        }
    }
}
