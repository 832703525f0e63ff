package io.spindle.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import io.spindle.task.DispatchStore;
import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * Claims due tasks and starts them. One loop on a virtual thread: claim as many due tasks as there are free
 * workers (within each queue's {@code maxConcurrent} and rate), in one statement, then sleep until woken: by
 * an enqueue here or on another instance, by a worker freeing up, or by the timer set to the next
 * {@code runAt}. The poll interval is only a safety net for missed wake-ups.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());
    private static final Duration NON_HTTP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration FAILURE_PAUSE = Duration.ofSeconds(1);

    private final DispatchStore store;
    private final QueueCatalog catalog;
    private final WorkerExecutor workers;
    private final QueueRateLimiters limiters;
    private final TaskTransitions transitions;
    private final Settings settings;
    private final Wakeup wakeup;
    private final Clock clock;
    private volatile boolean stopping;
    private Thread loop;
    private int rotation;
    private Instant nextCatalogRefresh = Instant.MIN;

    /** How the dispatcher claims and waits. */
    public record Settings(int maxClaim, Duration leaseMargin, Duration pollInterval, Duration shutdownGrace) {
    }

    public Dispatcher(DispatchStore store, QueueCatalog catalog, WorkerExecutor workers, QueueRateLimiters limiters,
                      TaskTransitions transitions, Wakeup wakeup, Settings settings, Clock clock) {
        this.store = store;
        this.catalog = catalog;
        this.workers = workers;
        this.limiters = limiters;
        this.transitions = transitions;
        this.wakeup = wakeup;
        this.settings = settings;
        this.clock = clock;
    }

    public void start() {
        loop = Thread.ofVirtual().name("dispatcher").start(this::run);
    }

    private void run() {
        while (!stopping) {
            Duration wait;
            try {
                refreshCatalogIfDue();
                wait = round();
            } catch (RuntimeException e) {
                LOG.warning(() -> "dispatch round failed (" + e.getMessage() + "); retrying in " + FAILURE_PAUSE.toMillis() + " ms");
                wait = FAILURE_PAUSE;
            }
            if (!awaitSignal(wait)) {
                return;
            }
        }
    }

    private void refreshCatalogIfDue() {
        Instant now = clock.instant();
        if (now.isAfter(nextCatalogRefresh)) {
            catalog.refresh();
            nextCatalogRefresh = now.plus(settings.pollInterval());
        }
    }

    /** One claim round; returns how long to sleep unless woken. */
    private Duration round() {
        int total = Math.min(workers.free(), settings.maxClaim());
        if (total == 0) {
            return settings.pollInterval(); // a worker finishing rings the wakeup
        }
        Duration wait = settings.pollInterval();
        List<DispatchStore.Want> wants = new ArrayList<>();
        Map<String, Integer> rateCapped = new HashMap<>();
        List<Queue> queues = new ArrayList<>(catalog.all().values());
        for (int i = 0; i < queues.size(); i++) {
            Queue queue = queues.get((rotation + i) % queues.size());
            if (queue.paused()) {
                continue;
            }
            int capacity = queue.maxConcurrent() - workers.running(queue.name());
            int rateAllows = limiters.available(queue);
            int count = Math.min(total, Math.min(capacity, rateAllows));
            if (rateAllows < Math.min(total, capacity)) {
                rateCapped.put(queue.name(), count);
            }
            if (count > 0) {
                wants.add(new DispatchStore.Want(queue.name(), count, lease(queue)));
            } else if (rateAllows == 0) {
                wait = min(wait, limiters.refreshPeriod(queue)); // due tasks may be waiting for the rate
            }
        }
        rotation++;
        if (wants.isEmpty()) {
            return wait;
        }
        DispatchStore.Claim claim = store.claim(wants, total);
        transitions.started(claim.tasks()); // before they start: a task's end must not be announced before its start
        Map<String, Queue> byName = catalog.all();
        Map<String, Integer> claimedByQueue = new HashMap<>();
        for (Task task : claim.tasks()) {
            workers.start(task, byName.get(task.queue()));
            claimedByQueue.merge(task.queue(), 1, Integer::sum);
        }
        if (claim.tasks().size() == total) {
            return Duration.ZERO; // took all it could: more may be due
        }
        for (var capped : rateCapped.entrySet()) {
            if (claimedByQueue.getOrDefault(capped.getKey(), 0) >= capped.getValue()) {
                // the rate, not the backlog, stopped this queue: look again when the rate refreshes
                wait = min(wait, limiters.refreshPeriod(byName.get(capped.getKey())));
            }
        }
        Duration untilRateOrPoll = wait;
        return claim.nextDueIn().map(next -> min(next, untilRateOrPoll)).orElse(wait);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private Duration lease(Queue queue) {
        Duration timeout = queue.handler() instanceof HandlerSpec.Http http ? http.timeout() : NON_HTTP_TIMEOUT;
        return timeout.plus(settings.leaseMargin());
    }

    /** Sleeps until rung or {@code wait} passes; false when the dispatcher is stopping. */
    private boolean awaitSignal(Duration wait) {
        try {
            wakeup.await(wait);
            return !stopping;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Stops claiming (the first step of shutdown); running tasks get until the grace deadline to finish. */
    @Override
    public void close() throws InterruptedException {
        workers.drainUntil(clock.instant().plus(settings.shutdownGrace()));
        stopping = true;
        wakeup.ring();
        if (loop != null && !loop.join(Duration.ofSeconds(5))) {
            loop.interrupt();
        }
    }
}
