package io.spindle;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.spindle.bus.TopicBus;
import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.db.EmbeddedDatabase;
import io.spindle.db.Migrations;
import io.spindle.db.Notifications;
import io.spindle.db.Notifier;
import io.spindle.db.PgListener;
import io.spindle.dispatch.Backoff;
import io.spindle.dispatch.CompletionWriter;
import io.spindle.dispatch.Dispatcher;
import io.spindle.dispatch.EnqueueCommitter;
import io.spindle.dispatch.LeaseReaper;
import io.spindle.dispatch.PeriodicDuty;
import io.spindle.dispatch.QueueCatalog;
import io.spindle.dispatch.QueueSlots;
import io.spindle.dispatch.RetentionSweeper;
import io.spindle.dispatch.RetryDecision;
import io.spindle.dispatch.TableMaintenance;
import io.spindle.dispatch.LeaseCommands;
import io.spindle.dispatch.TaskCommands;
import io.spindle.dispatch.TaskMetrics;
import io.spindle.dispatch.TaskTransitions;
import io.spindle.dispatch.Wakeup;
import io.spindle.dispatch.WorkerExecutor;
import io.spindle.handler.BackendBreakers;
import io.spindle.handler.DeliverySigner;
import io.spindle.handler.Handlers;
import io.spindle.handler.HttpTaskHandler;
import io.spindle.handler.LogTaskHandler;
import io.spindle.handler.TopicTaskHandler;
import io.spindle.http.ConnectionBudget;
import io.spindle.http.ConnectionGuard;
import io.spindle.http.ConnectionMetrics;
import io.spindle.http.LeaseRoutes;
import io.spindle.http.QueueRoutes;
import io.spindle.http.ScheduleRoutes;
import io.spindle.http.ShutdownGate;
import io.spindle.http.SpindleServer;
import io.spindle.http.StreamTokenRoutes;
import io.spindle.http.TaskJson;
import io.spindle.http.TaskRoutes;
import io.spindle.observe.DatabaseReadiness;
import io.spindle.observe.GlobalMeters;
import io.spindle.observe.HttpMetricsFilter;
import io.spindle.observe.JvmMetrics;
import io.spindle.observe.ListenerProbe;
import io.spindle.observe.QueueDepthSampler;
import io.spindle.observe.ShutdownReadiness;
import io.spindle.schedule.ScheduleMetrics;
import io.spindle.schedule.ScheduleStore;
import io.spindle.schedule.Scheduler;
import io.spindle.schedule.Schedules;
import io.spindle.security.ClientLimits;
import io.spindle.http.SecurityFilter;
import io.spindle.task.DispatchStore;
import io.spindle.task.MaintenanceStore;
import io.spindle.task.QueueStore;
import io.spindle.task.TaskEvents;
import io.spindle.task.TaskStore;
import io.spindle.task.TaskWaiters;

/**
 * Wires Spindle's parts in dependency order, registering each with the {@link Lifecycle} as it is created,
 * so that shutdown closes them in reverse: readiness DOWN, refuse new requests (503, Connection: close), stop
 * claiming, stop the HTTP server (in-flight requests finish), flush enqueues, let running tasks finish until
 * the grace deadline, write their results, then close the listener, the pool and the embedded database.
 */
public final class Spindle {
    private static final Logger LOG = Logger.getLogger(Spindle.class.getName());

    private Spindle() {
    }

    /** A started service: where it listens, what it runs on, and its instance id. */
    public record Running(WebServer server, Database database, String instance) {
        public int port() {
            return server.port();
        }
    }

    /** Starts with a listener that, should it stop accepting, only turns readiness DOWN (tests; Main exits). */
    public static Running start(Settings settings, Lifecycle lifecycle) {
        return start(settings, lifecycle, () -> { });
    }

    /** @param onListenerDead runs once the HTTP listener is found to refuse connections for good */
    public static Running start(Settings settings, Lifecycle lifecycle, Runnable onListenerDead) {
        return start(settings, lifecycle, onListenerDead, Clock.systemUTC());
    }

    /** @param clock the time schedules fire by (tests inject one to cross a daylight-saving change) */
    public static Running start(Settings settings, Lifecycle lifecycle, Runnable onListenerDead, Clock clock) {
        String instance = instanceId();
        Duration grace = settings.shutdown().grace();
        Duration stepTimeout = settings.shutdown().stepTimeout();
        Settings.Db dbSettings = settings.db();
        GlobalMeters.buildInBackground(); // Main started it already
        String jdbcUrl = dbSettings.url().orElseGet(() -> lifecycle.register(
                "embedded-postgres", Duration.ofSeconds(30), EmbeddedDatabase.start(dbSettings.embedded())).jdbcUrl());
        // the pool opens and the schema is migrated on a thread of their own; awaitOpen waits before the first statement
        Database database = lifecycle.register("connection-pool", Duration.ofSeconds(10),
                                               Database.openInBackground(dbSettings, jdbcUrl, Migrations::migrate));
        MeterRegistry meters = GlobalMeters.registry();
        JvmMetrics.bind(meters);
        Notifier notifier = lifecycle.register("notifier", stepTimeout, new Notifier(database, instance));

        QueueStore queues = new QueueStore(database);
        TaskStore tasks = new TaskStore(database);
        DispatchStore dispatchStore = new DispatchStore(database, instance);
        TaskMetrics metrics = new TaskMetrics(meters);
        TaskWaiters waiters = new TaskWaiters(settings.enqueue().maxWaiters());
        metrics.longPolls(waiters::waiting);
        Wakeup wakeup = new Wakeup();
        Settings.Dispatch dispatch = settings.dispatch();

        PgListener listener = lifecycle.register("notification-listener", stepTimeout,
                new PgListener(jdbcUrl, dbSettings.username(), dbSettings.password(), settings.listener().reconnectDelay()));
        database.awaitOpen(); // the first statements follow; what failed to open or migrate ends the start here
        database.bindMetrics(meters);
        BusWiring events = BusWiring.start(settings.bus(), stepTimeout, database, listener, instance, meters, lifecycle);
        TopicBus bus = events.bus();
        TaskEvents taskEvents = (event, task) ->
                bus.publishIfWatched("tasks." + task.queue(), event.type(), () -> TaskJson.summary(task));
        QueueCatalog catalog = new QueueCatalog(queues, configs -> { });
        catalog.refresh();
        TaskTransitions transitions = new TaskTransitions(metrics, taskEvents, waiters, wakeup::ring, notifier::send,
                                                          catalog::paused);
        QueueSlots slots = new QueueSlots(wakeup::ring);
        CompletionWriter completions = lifecycle.register("completion-writer", stepTimeout, new CompletionWriter(
                dispatchStore, dispatch.maxConcurrent() * dispatch.completionsPerWorker(), transitions, slots));
        BackendBreakers breakers = new BackendBreakers(settings.delivery().breakerFailureRate(),
                settings.delivery().breakerMinimumCalls(), dispatch.backendCooldown(), (queue, backend, state) -> {
                    if (state != BackendBreakers.State.HALF_OPEN) {
                        bus.publishIfWatched("tasks." + queue, state == BackendBreakers.State.OPEN ? "backend.opened"
                                : "backend.closed", () -> backendEvent(queue, backend, state));
                    }
                    wakeup.ring(); // a queue may be startable again, or its wait has changed
                }, meters);
        HttpTaskHandler http = lifecycle.register("http-client", stepTimeout,
                new HttpTaskHandler(breakers, Clock.systemUTC(),
                                    new DeliverySigner(settings.delivery().signingSecrets(), Clock.systemUTC())));
        Handlers handlers = new Handlers(http, new LogTaskHandler(), new TopicTaskHandler(bus));
        RetryDecision retry = new RetryDecision(new Backoff(RandomGenerator.getDefault()));
        WorkerExecutor workers = lifecycle.register("workers", grace.plusSeconds(10), new WorkerExecutor(
                dispatch.maxConcurrent(), handlers::forQueue, completions, dispatchStore,
                retry, metrics, transitions, slots, wakeup::ring, Clock.systemUTC()));
        lifecycle.register("lease-reaper", stepTimeout, PeriodicDuty.start("lease-reaper", dispatch.leaseMargin(),
                new LeaseReaper(dispatchStore, retry, transitions)));
        QueueDepthSampler depth = new QueueDepthSampler(queues, meters);
        depth.run();
        lifecycle.register("depth-sampler", stepTimeout,
                           PeriodicDuty.start("depth-sampler", settings.observe().queueDepthInterval(), depth));
        lifecycle.register("retention-sweeper", stepTimeout,
                           PeriodicDuty.start("retention-sweeper", dispatch.sweepInterval(), new RetentionSweeper(dispatchStore)));
        TableMaintenance maintenance = new TableMaintenance(new MaintenanceStore(database), settings.maintenance(), meters);
        maintenance.checkAutovacuum();
        lifecycle.register("table-maintenance", stepTimeout,
                           PeriodicDuty.start("table-maintenance", settings.maintenance().interval(), maintenance));
        Dispatcher dispatcher = new Dispatcher(dispatchStore, catalog, workers, slots, transitions, wakeup,
                new Dispatcher.Settings(dispatch.maxClaim(), dispatch.leaseMargin(), dispatch.pollInterval(), grace),
                Clock.systemUTC(), breakers);

        ScheduleStore scheduleStore = new ScheduleStore(database);
        Settings.Schedules scheduling = settings.schedules();
        Scheduler scheduler = new Scheduler(scheduleStore, transitions::created, new ScheduleMetrics(meters),
                new Scheduler.Settings(scheduling.misfireThreshold(), scheduling.pollInterval()), clock);
        Schedules schedules = new Schedules(scheduleStore, queues, changed -> {
            notifier.send(Notifications.SCHEDULES, List.of(changed.queue() + "/" + changed.name()));
            scheduler.wake();
        }, clock);

        listener.on(Notifications.SCHEDULES, payload -> fromOthers(payload, instance).ifPresent(m -> scheduler.wake()));
        listener.on(Notifications.WAKE, payload -> fromOthers(payload, instance).ifPresent(m -> wakeup.ring()));
        listener.on(Notifications.DONE, payload -> fromOthers(payload, instance).ifPresent(m -> {
            if (m.items().contains(Notifier.EVERYTHING)) {
                waiters.wakeAll();
            } else {
                waiters.wake(m.items().stream().map(Long::valueOf).toList());
            }
        }));
        listener.on(Notifications.QUEUES, payload -> fromOthers(payload, instance).ifPresent(m -> {
            catalog.refresh();
            wakeup.ring();
        }));
        listener.onReconnect(() -> {
            catalog.refresh();
            waiters.wakeAll();
            wakeup.ring();
            scheduler.wake();
        });

        EnqueueCommitter committer = lifecycle.register("enqueue-committer", stepTimeout, new EnqueueCommitter(
                tasks, transitions, new EnqueueCommitter.Settings(
                        settings.enqueue().writers(), settings.enqueue().maxBatch(), settings.enqueue().backlog(),
                        settings.enqueue().ackTimeout())));
        ClientLimits clientLimits = lifecycle.register("client-limits", stepTimeout,
                                                       ClientLimits.create(settings.clientLimits(), meters));

        ShutdownReadiness accepting = new ShutdownReadiness();
        AtomicInteger listening = new AtomicInteger();
        ListenerProbe listenerProbe = new ListenerProbe(settings.server().host(), listening::get, onListenerDead);
        ObserveFeature observe = ObserveFeature.builder()
                .addObserver(HealthObserver.builder()
                                     .details(true)
                                     .useSystemServices(false)
                                     .addCheck(new DatabaseReadiness(database, settings.health().dbTimeout()))
                                     .addCheck(accepting)
                                     .addCheck(listenerProbe)
                                     .build())
                .addObserver(MetricsObserver.create())
                .build();
        QueueRoutes queueRoutes = new QueueRoutes(queues, breakers, changed -> {
            notifier.send(Notifications.QUEUES, List.of(changed));
            catalog.refresh();
            wakeup.ring();
        });
        TaskRoutes taskRoutes = new TaskRoutes(committer, new TaskCommands(tasks, transitions), tasks, queues, waiters,
                                               Clock.systemUTC());
        LeaseRoutes leaseRoutes = new LeaseRoutes(new LeaseCommands(dispatchStore, catalog, tasks, retry, transitions,
                                                                    dispatch.leaseMargin()));
        ShutdownGate gate = new ShutdownGate();
        ConnectionBudget budget = ConnectionBudget.ofThisProcess(settings.connections().max(), dbSettings.pool().maxSize(),
                                                                 1, dispatch.maxConcurrent());
        LOG.info(budget::describe);
        ConnectionGuard connections = ConnectionGuard.create(
                settings.connections(), budget,
                lifecycle.register("connection-metrics", stepTimeout, new ConnectionMetrics(meters)));
        lifecycle.register("connection-reaper", stepTimeout,
                           PeriodicDuty.start("connection-reaper", ConnectionGuard.REAP_INTERVAL, connections::reap));
        SecurityFilter security = SecurityFilter.create(settings.security(), clientLimits);
        WebServer server = SpindleServer.create(
                settings.server(), connections, grace, observe, new HttpMetricsFilter(meters),
                List.of(gate, security),
                routing -> routing.register("/v1/queues", queueRoutes, taskRoutes, leaseRoutes, new ScheduleRoutes(schedules))
                        .register("/v1/stream-tokens", new StreamTokenRoutes(security.tokens()))
                        .register("/v1/topics", events.topicRoutes())
                        .register("/v1/users", events.notificationRoutes()));
        server.start();
        listening.set(server.port());
        // Only now: Helidon's Micrometer bridge registers its own meters while it builds the server, under its lock
        // and then Micrometer's; a task finishing meanwhile registers a timer in the opposite order (a deadlock seen
        // in SigtermUnderLoadIT when a restart found tasks waiting).
        listener.start();
        dispatcher.start();
        scheduler.start();
        lifecycle.register("http-server", grace.multipliedBy(2).plusSeconds(5), () -> {
            gate.awaitIdle(grace); // the gate closed at the start; what it admitted before ends here, not cut by the stop
            server.stop();
        });
        lifecycle.register("event-streams", stepTimeout, events.streams());
        lifecycle.register("long-polls", stepTimeout, waiters);
        lifecycle.register("dispatcher", stepTimeout, dispatcher);
        lifecycle.register("scheduler", stepTimeout, scheduler); // closed before the dispatcher: no task created meanwhile
        lifecycle.register("request-gate", stepTimeout, gate);
        lifecycle.register("listener-probe", stepTimeout, PeriodicDuty.start("listener-probe", ListenerProbe.INTERVAL,
                                                                             listenerProbe));
        lifecycle.register("readiness", stepTimeout, accepting);
        LOG.info(() -> "Spindle " + instance + " listening on http://" + settings.server().host() + ":" + server.port());
        return new Running(server, database, instance);
    }

    private static String backendEvent(String queue, URI backend, BackendBreakers.State state) {
        return JsonNodeFactory.instance.objectNode().put("queue", queue).put("url", backend.toString())
                .put("state", state.text()).toString();
    }

    /** A notification sent by another instance; our own were handled in process already. */
    private static java.util.Optional<Notifications.Message> fromOthers(String payload, String instance) {
        if (payload.startsWith(instance + "|")) {
            return java.util.Optional.empty();
        }
        return Notifications.Message.parse(payload);
    }

    private static String instanceId() {
        String host = ManagementFactory.getRuntimeMXBean().getName();
        return host.replaceAll("[^A-Za-z0-9@._-]", "") + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
