package io.spindle.dispatch;

import java.time.Duration;
import java.util.logging.Logger;

/**
 * A background duty run every {@code interval} on a virtual thread of its own (after an initial delay of one
 * interval), until closed. A failing run is logged and tried again at the next interval.
 */
public final class PeriodicDuty implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeriodicDuty.class.getName());

    private final String name;
    private final Duration interval;
    private final Runnable duty;
    private final Thread thread;
    private volatile boolean closed;

    private PeriodicDuty(String name, Duration interval, Runnable duty) {
        this.name = name;
        this.interval = interval;
        this.duty = duty;
        this.thread = Thread.ofVirtual().name(name).unstarted(this::run);
    }

    public static PeriodicDuty start(String name, Duration interval, Runnable duty) {
        PeriodicDuty periodic = new PeriodicDuty(name, interval, duty);
        periodic.thread.start();
        return periodic;
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            if (closed) {
                return;
            }
            try {
                duty.run();
            } catch (RuntimeException e) {
                LOG.warning(() -> name + " failed: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.interrupt();
        thread.join(Duration.ofSeconds(5));
    }
}
