package io.spindle;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

import io.helidon.metrics.api.Metrics;
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
import io.spindle.dispatch.QueueRateLimiters;
import io.spindle.dispatch.RetentionSweeper;
import io.spindle.dispatch.RetryDecision;
import io.spindle.dispatch.TableMaintenance;
import io.spindle.dispatch.TaskCommands;
import io.spindle.dispatch.TaskMetrics;
import io.spindle.dispatch.TaskTransitions;
import io.spindle.dispatch.Wakeup;
import io.spindle.dispatch.WorkerExecutor;
import io.spindle.handler.DeliverySigner;
import io.spindle.handler.Handlers;
import io.spindle.handler.HttpTaskHandler;
import io.spindle.handler.LogTaskHandler;
import io.spindle.handler.TopicTaskHandler;
import io.spindle.http.ConnectionBudget;
import io.spindle.http.ConnectionGuard;
import io.spindle.http.ConnectionMetrics;
import io.spindle.http.QueueRoutes;
import io.spindle.http.ShutdownGate;
import io.spindle.http.SpindleServer;
import io.spindle.http.StreamTokenRoutes;
import io.spindle.http.TaskJson;
import io.spindle.http.TaskRoutes;
import io.spindle.observe.DatabaseReadiness;
import io.spindle.observe.HttpMetricsFilter;
import io.spindle.observe.JvmMetrics;
import io.spindle.observe.ListenerProbe;
import io.spindle.observe.QueueDepthSampler;
import io.spindle.observe.ShutdownReadiness;
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
        String instance = instanceId();
        Duration grace = settings.shutdown().grace();
        Duration stepTimeout = settings.shutdown().stepTimeout();
        Settings.Db dbSettings = settings.db();
        String jdbcUrl = dbSettings.url().orElseGet(() -> lifecycle.register(
                "embedded-postgres", Duration.ofSeconds(30), EmbeddedDatabase.start(dbSettings.embedded())).jdbcUrl());
        MeterRegistry meters = Metrics.globalRegistry().unwrap(MeterRegistry.class);
        JvmMetrics.bind(meters);
        Database database = lifecycle.register("connection-pool", Duration.ofSeconds(10),
                                               Database.open(dbSettings, jdbcUrl, meters));
        Migrations.migrate(database.dataSource());
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
        BusWiring events = BusWiring.start(settings.bus(), stepTimeout, database, listener, instance, meters, lifecycle);
        TopicBus bus = events.bus();
        TaskEvents taskEvents = (event, task) ->
                bus.publishIfWatched("tasks." + task.queue(), event.type(), () -> TaskJson.summary(task));
        TaskTransitions transitions = new TaskTransitions(metrics, taskEvents, waiters, wakeup::ring, notifier::send);
        CompletionWriter completions = lifecycle.register("completion-writer", stepTimeout, new CompletionWriter(
                dispatchStore, dispatch.maxConcurrent() * dispatch.completionsPerWorker(), transitions));
        HttpTaskHandler http = lifecycle.register("http-client", stepTimeout,
                new HttpTaskHandler(dispatch.backendCooldown(), Clock.systemUTC(),
                                    new DeliverySigner(settings.delivery().signingSecrets(), Clock.systemUTC())));
        Handlers handlers = new Handlers(http, new LogTaskHandler(), new TopicTaskHandler(bus));
        QueueRateLimiters limiters = new QueueRateLimiters();
        RetryDecision retry = new RetryDecision(new Backoff(RandomGenerator.getDefault()));
        WorkerExecutor workers = lifecycle.register("workers", grace.plusSeconds(10), new WorkerExecutor(
                dispatch.maxConcurrent(), handlers::forQueue, limiters, completions, dispatchStore,
                retry, metrics, transitions, wakeup::ring, Clock.systemUTC()));
        QueueCatalog catalog = new QueueCatalog(queues, limiters::sync);
        catalog.refresh();
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
        Dispatcher dispatcher = new Dispatcher(dispatchStore, catalog, workers, limiters, transitions, wakeup,
                new Dispatcher.Settings(dispatch.maxClaim(), dispatch.leaseMargin(), dispatch.pollInterval(), grace),
                Clock.systemUTC());

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
        QueueRoutes queueRoutes = new QueueRoutes(queues, changed -> {
            notifier.send(Notifications.QUEUES, List.of(changed));
            catalog.refresh();
            wakeup.ring();
        });
        TaskRoutes taskRoutes = new TaskRoutes(committer, new TaskCommands(tasks, transitions), tasks, queues, waiters,
                                               Clock.systemUTC());
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
                routing -> routing.register("/v1/queues", queueRoutes, taskRoutes)
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
        lifecycle.register("http-server", grace.multipliedBy(2).plusSeconds(5), () -> {
            gate.awaitIdle(grace); // the gate closed at the start; what it admitted before ends here, not cut by the stop
            server.stop();
        });
        lifecycle.register("event-streams", stepTimeout, events.streams());
        lifecycle.register("long-polls", stepTimeout, waiters);
        lifecycle.register("dispatcher", stepTimeout, dispatcher);
        lifecycle.register("request-gate", stepTimeout, gate);
        lifecycle.register("listener-probe", stepTimeout, PeriodicDuty.start("listener-probe", ListenerProbe.INTERVAL,
                                                                             listenerProbe));
        lifecycle.register("readiness", stepTimeout, accepting);
        LOG.info(() -> "Spindle " + instance + " listening on http://" + settings.server().host() + ":" + server.port());
        return new Running(server, database, instance);
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
