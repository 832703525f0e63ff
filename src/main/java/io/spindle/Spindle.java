package io.spindle;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
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
import io.spindle.dispatch.LeaseReaper;
import io.spindle.dispatch.PeriodicDuty;
import io.spindle.dispatch.QueueCatalog;
import io.spindle.dispatch.QueueRateLimiters;
import io.spindle.dispatch.RetentionSweeper;
import io.spindle.dispatch.Wakeup;
import io.spindle.dispatch.WorkerExecutor;
import io.spindle.handler.Handlers;
import io.spindle.handler.HttpTaskHandler;
import io.spindle.handler.LogTaskHandler;
import io.spindle.handler.TopicTaskHandler;
import io.spindle.http.QueueRoutes;
import io.spindle.http.ShutdownGate;
import io.spindle.http.SpindleServer;
import io.spindle.http.TaskJson;
import io.spindle.http.TaskRoutes;
import io.spindle.observe.DatabaseReadiness;
import io.spindle.observe.HttpMetricsFilter;
import io.spindle.observe.JvmMetrics;
import io.spindle.observe.QueueDepthSampler;
import io.spindle.observe.ShutdownReadiness;
import io.spindle.observe.TaskMetrics;
import io.spindle.security.ClientLimits;
import io.spindle.security.SecurityFilter;
import io.spindle.task.DispatchStore;
import io.spindle.task.EnqueueCommitter;
import io.spindle.task.QueueStore;
import io.spindle.task.Task;
import io.spindle.task.TaskEvent;
import io.spindle.task.TaskEvents;
import io.spindle.task.TaskState;
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
    private static final Duration QUICK = Duration.ofSeconds(5);
    private static final Duration DEPTH_SAMPLE_INTERVAL = Duration.ofSeconds(30);

    private Spindle() {
    }

    /** A started service: where it listens, what it runs on, and its instance id. */
    public record Running(WebServer server, Database database, String instance) {
        public int port() {
            return server.port();
        }
    }

    public static Running start(Settings settings, Lifecycle lifecycle) {
        String instance = instanceId();
        Duration grace = settings.shutdown().grace();
        Settings.Db dbSettings = settings.db();
        String jdbcUrl = dbSettings.url().orElseGet(() -> lifecycle.register(
                "embedded-postgres", Duration.ofSeconds(30), EmbeddedDatabase.start(dbSettings.embedded())).jdbcUrl());
        MeterRegistry meters = Metrics.globalRegistry().unwrap(MeterRegistry.class);
        JvmMetrics.bind(meters);
        Database database = lifecycle.register("connection-pool", Duration.ofSeconds(10),
                                               Database.open(dbSettings, jdbcUrl, meters));
        Migrations.migrate(database.dataSource());
        Notifier notifier = lifecycle.register("notifier", QUICK, new Notifier(database, instance));

        QueueStore queues = new QueueStore(database.client());
        TaskStore tasks = new TaskStore(database.client());
        DispatchStore dispatchStore = new DispatchStore(database, instance, notifier);
        TaskMetrics metrics = new TaskMetrics(meters);
        TaskWaiters waiters = new TaskWaiters(settings.enqueue().maxWaiters());
        Wakeup wakeup = new Wakeup();
        Settings.Dispatch dispatch = settings.dispatch();

        PgListener listener = lifecycle.register("notification-listener", QUICK,
                new PgListener(jdbcUrl, dbSettings.username(), dbSettings.password(), Duration.ofSeconds(1)));
        Events events = Events.start(settings.bus(), database, listener, instance, meters, lifecycle);
        TopicBus bus = events.bus();
        TaskEvents taskEvents = (event, task) ->
                bus.publishIfWatched("tasks." + task.queue(), event.type(), () -> TaskJson.summary(task));
        CompletionWriter completions = lifecycle.register("completion-writer", QUICK, new CompletionWriter(
                dispatchStore, dispatch.maxConcurrent() * 4,
                written -> afterWrite(written, Spindle::completionOutcome, metrics, waiters, wakeup, taskEvents)));
        HttpTaskHandler http = lifecycle.register("http-client", QUICK,
                                                  new HttpTaskHandler(dispatch.backendCooldown(), Clock.systemUTC()));
        Handlers handlers = new Handlers(http, new LogTaskHandler(), new TopicTaskHandler(bus));
        QueueRateLimiters limiters = new QueueRateLimiters();
        WorkerExecutor workers = lifecycle.register("workers", grace.plusSeconds(10), new WorkerExecutor(
                dispatch.maxConcurrent(), handlers::forQueue, limiters, completions, dispatchStore,
                new Backoff(RandomGenerator.getDefault()), metrics, wakeup::ring));
        QueueCatalog catalog = new QueueCatalog(queues, limiters::sync);
        catalog.refresh();
        lifecycle.register("lease-reaper", QUICK, PeriodicDuty.start("lease-reaper", dispatch.leaseMargin(),
                new LeaseReaper(dispatchStore, rescued -> afterWrite(rescued, task -> "rescued", metrics, waiters, wakeup, taskEvents))));
        QueueDepthSampler depth = new QueueDepthSampler(queues, meters);
        depth.run();
        lifecycle.register("depth-sampler", QUICK,
                           PeriodicDuty.start("depth-sampler", DEPTH_SAMPLE_INTERVAL, depth));
        lifecycle.register("retention-sweeper", QUICK,
                           PeriodicDuty.start("retention-sweeper", dispatch.sweepInterval(), new RetentionSweeper(dispatchStore)));
        Dispatcher dispatcher = new Dispatcher(dispatchStore, catalog, workers, limiters, metrics, wakeup, taskEvents,
                new Dispatcher.Settings(dispatch.maxClaim(), dispatch.leaseMargin(), dispatch.pollInterval(), grace));

        listener.on(Notifications.WAKE, payload -> fromOthers(payload, instance).ifPresent(m -> wakeup.ring()));
        listener.on(Notifications.DONE, payload -> fromOthers(payload, instance).ifPresent(m -> {
            if (m.items().contains(Notifier.EVERYTHING)) {
                waiters.wakeAll();
            } else {
                waiters.finished(m.items().stream().map(Long::valueOf).toList());
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
        listener.start();
        dispatcher.start();

        EnqueueCommitter committer = lifecycle.register("enqueue-committer", QUICK, new EnqueueCommitter(
                database, tasks, metrics, notifier, new EnqueueCommitter.Settings(
                        settings.enqueue().writers(), 1000, settings.enqueue().backlog(), Duration.ofSeconds(30)),
                touched -> wakeup.ring(), taskEvents));
        ClientLimits clientLimits = lifecycle.register("client-limits", QUICK,
                                                       ClientLimits.create(settings.clientLimits(), meters));

        ShutdownReadiness accepting = new ShutdownReadiness();
        ObserveFeature observe = ObserveFeature.builder()
                .addObserver(HealthObserver.builder()
                                     .details(true)
                                     .useSystemServices(false)
                                     .addCheck(new DatabaseReadiness(database.client(), settings.health().dbTimeout()))
                                     .addCheck(accepting)
                                     .build())
                .addObserver(MetricsObserver.create())
                .build();
        QueueRoutes queueRoutes = new QueueRoutes(queues, changed -> {
            notifier.send(Notifications.QUEUES, List.of(changed));
            catalog.refresh();
            wakeup.ring();
        });
        TaskRoutes taskRoutes = new TaskRoutes(committer, tasks, queues, waiters, Clock.systemUTC(), taskEvents);
        ShutdownGate gate = new ShutdownGate();
        WebServer server = SpindleServer.create(
                settings.server(), grace, observe, new HttpMetricsFilter(meters),
                List.of(gate, SecurityFilter.create(settings.security(), clientLimits)),
                routing -> routing.register("/v1/queues", queueRoutes, taskRoutes)
                        .register("/v1/topics", events.topicRoutes())
                        .register("/v1/users", events.notificationRoutes()));
        server.start();
        lifecycle.register("http-server", grace.multipliedBy(2).plusSeconds(5), () -> {
            gate.awaitIdle(grace); // the gate closed at the start; what it admitted before ends here, not cut by the stop
            server.stop();
        });
        lifecycle.register("event-streams", QUICK, events.streams());
        lifecycle.register("long-polls", QUICK, waiters);
        lifecycle.register("dispatcher", QUICK, dispatcher);
        lifecycle.register("request-gate", QUICK, gate);
        lifecycle.register("readiness", QUICK, accepting);
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

    /**
     * After task results are written: count them, announce them, wake their long-polls, and ring the dispatcher
     * when some are pending again (a retry, or a rescued lease), since their new run time may be the next one.
     */
    private static void afterWrite(List<Task> written, Function<Task, String> outcome, TaskMetrics metrics,
                                   TaskWaiters waiters, Wakeup wakeup, TaskEvents events) {
        boolean pendingAgain = false;
        for (Task task : written) {
            metrics.finished(task.queue(), outcome.apply(task));
            events.emit(TaskEvent.of(task.state()), task);
            pendingAgain |= task.state() == TaskState.PENDING;
        }
        waiters.finished(written.stream().filter(t -> t.state().isFinished()).map(Task::id).toList());
        if (pendingAgain) {
            wakeup.ring();
        }
    }

    private static String completionOutcome(Task task) {
        return task.state() == TaskState.PENDING ? "retried" : task.state().dbName();
    }

    private static String instanceId() {
        String host = ManagementFactory.getRuntimeMXBean().getName();
        return host.replaceAll("[^A-Za-z0-9@._-]", "") + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
