package io.spindle.dispatch;

import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

import io.spindle.task.Completion;
import io.spindle.task.DispatchStore;
import io.spindle.task.Task;

/**
 * Rescues tasks whose lease expired (their instance crashed or hung): each lost attempt counts as a failed
 * one and goes through the {@link RetryDecision}, so the task is retried after its backoff, or fails when it
 * has no attempts left. Runs on every instance, every lease margin, so a lease is rescued within two margins
 * of expiring. Instances may read the same expired rows; the write is guarded by the lease being expired
 * still and the attempt current, so only one instance's rescue of an attempt lands.
 */
public final class LeaseReaper implements Runnable {
    private static final Logger LOG = Logger.getLogger(LeaseReaper.class.getName());
    private static final int BATCH = 1000;

    private final DispatchStore store;
    private final RetryDecision retry;
    private final TaskTransitions transitions;

    public LeaseReaper(DispatchStore store, RetryDecision retry, TaskTransitions transitions) {
        this.store = store;
        this.retry = retry;
        this.transitions = transitions;
    }

    @Override
    public void run() {
        List<DispatchStore.ExpiredLease> expired;
        do {
            expired = store.expiredLeases(BATCH);
            if (!expired.isEmpty()) {
                List<Task> rescued = store.rescue(expired.stream().map(this::decide).toList());
                if (!rescued.isEmpty()) {
                    LOG.info(() -> "rescued " + rescued.size() + " tasks whose lease expired");
                    transitions.rescued(rescued);
                }
            }
        } while (expired.size() == BATCH);
    }

    private Completion decide(DispatchStore.ExpiredLease lease) {
        Task task = lease.task();
        String error = "lease expired: attempt " + task.attempts() + " held by " + lease.owner() + " did not finish in time";
        return Completion.of(task, retry.afterFailure(task, lease.policy(), error, Optional.empty()));
    }
}
