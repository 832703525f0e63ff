package io.spindle.dispatch;

import java.util.logging.Logger;

import io.spindle.task.DispatchStore;

/**
 * Deletes finished tasks older than their queue's {@code retention}, at most 1,000 a statement so no
 * statement holds locks for long.
 */
public final class RetentionSweeper implements Runnable {
    private static final Logger LOG = Logger.getLogger(RetentionSweeper.class.getName());
    private static final int BATCH = 1000;

    private final DispatchStore store;

    public RetentionSweeper(DispatchStore store) {
        this.store = store;
    }

    @Override
    public void run() {
        long total = 0;
        int deleted;
        do {
            deleted = store.sweepFinished(BATCH);
            total += deleted;
        } while (deleted == BATCH);
        if (total > 0) {
            long swept = total;
            LOG.fine(() -> "retention deleted " + swept + " finished tasks");
        }
    }
}
