package io.spindle.dispatch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import io.spindle.handler.BackendBreakers;
import io.spindle.task.DispatchStore;
import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * Claims due tasks and starts them. One loop on a virtual thread: claim as many due tasks as there are free
 * workers (within each queue's {@code maxConcurrent}, rate and keyConcurrency across instances), in one round trip, then sleep until woken: by
 * an enqueue here or on another instance, by a worker freeing up, or by the timer set to the next
 * {@code runAt}. The poll interval is only a safety net for missed wake-ups.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Dispatcher.class.getName());
    private static final Duration NON_HTTP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration FAILURE_PAUSE = Duration.ofSeconds(1);
    /** How soon to look again while a queue's bound shared by the instances held it back. */
    private static final Duration HELD_BACK_POLL = Duration.ofMillis(100);

    private final DispatchStore store;
    private final BackendBreakers breakers;
    private final QueueCatalog catalog;
    private final WorkerExecutor workers;
    private final QueueSlots slots;
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

    public Dispatcher(DispatchStore store, QueueCatalog catalog, WorkerExecutor workers, QueueSlots slots,
                      TaskTransitions transitions, Wakeup wakeup, Settings settings, Clock clock) {
        this(store, catalog, workers, slots, transitions, wakeup, settings, clock, BackendBreakers.standalone(Duration.ZERO));
    }

    public Dispatcher(DispatchStore store, QueueCatalog catalog, WorkerExecutor workers, QueueSlots slots,
                      TaskTransitions transitions, Wakeup wakeup, Settings settings, Clock clock, BackendBreakers breakers) {
        this.store = store;
        this.breakers = breakers;
        this.catalog = catalog;
        this.workers = workers;
        this.slots = slots;
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
        List<DispatchStore.Want> wants = new ArrayList<>();
        Duration untilBackends = settings.pollInterval();
        List<Queue> queues = new ArrayList<>(catalog.all().values());
        for (int i = 0; i < queues.size(); i++) {
            Queue queue = queues.get((rotation + i) % queues.size());
            if (queue.paused()) {
                continue;
            }
            // this instance's share is a first cut; the claim holds the bounds across instances
            int held = slots.held(queue.name());
            int count = Math.min(total, queue.maxConcurrent() - held);
            if (queue.handler() instanceof HandlerSpec.Http http) {
                // while every backend's breaker is open the queue's tasks stay pending: no attempt spent
                BackendBreakers.Admission admission = breakers.admission(queue.name(), http.backends());
                count = Math.min(count, admission.tasks());
                untilBackends = min(untilBackends, admission.recheckIn().orElse(untilBackends));
            }
            if (count > 0) {
                wants.add(new DispatchStore.Want(queue.name(), count, lease(queue), held));
            }
        }
        rotation++;
        if (wants.isEmpty()) {
            return untilBackends;
        }
        DispatchStore.Claim claim = store.claim(wants, total);
        transitions.started(claim.tasks()); // before they start: a task's end must not be announced before its start
        Map<String, Queue> byName = catalog.all();
        for (Task task : claim.tasks()) {
            workers.start(task, byName.get(task.queue()));
        }
        if (claim.tasks().size() == total) {
            return Duration.ZERO; // took all it could: more may be due
        }
        Duration wait = untilBackends;
        if (claim.heldBack()) {
            wait = min(wait, HELD_BACK_POLL); // a slot may free up on another instance, which does not ring us
        }
        if (claim.rateFreeIn().isPresent()) {
            wait = min(wait, claim.rateFreeIn().get()); // the rate, not the backlog, stopped a queue
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
