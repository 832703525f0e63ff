package io.spindle.dispatch;

import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;

import io.spindle.task.DispatchStore;
import io.spindle.task.Task;

/**
 * Returns tasks whose lease expired (their instance crashed or hung) to pending, or fails them when they
 * have no attempts left. Runs on every instance, every lease margin, so a lease is rescued within two
 * margins of expiring; {@code SKIP LOCKED} keeps instances from fighting over the same rows.
 */
public final class LeaseReaper implements Runnable {
    private static final Logger LOG = Logger.getLogger(LeaseReaper.class.getName());
    private static final int BATCH = 1000;

    private final DispatchStore store;
    private final Consumer<List<Task>> rescued;

    /** @param rescued told of each batch of rescued tasks, as they now are */
    public LeaseReaper(DispatchStore store, Consumer<List<Task>> rescued) {
        this.store = store;
        this.rescued = rescued;
    }

    @Override
    public void run() {
        List<Task> tasks;
        do {
            tasks = store.rescueExpired(BATCH);
            if (!tasks.isEmpty()) {
                int count = tasks.size();
                LOG.info(() -> "rescued " + count + " tasks whose lease expired");
                rescued.accept(tasks);
            }
        } while (tasks.size() == BATCH);
    }
}
