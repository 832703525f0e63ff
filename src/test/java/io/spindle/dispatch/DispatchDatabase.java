package io.spindle.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.db.Database;
import io.spindle.db.Migrations;
import io.spindle.task.DispatchStore;
import io.spindle.task.Enqueued;
import io.spindle.task.HandlerSpec;
import io.spindle.task.NewTask;
import io.spindle.task.Queue;
import io.spindle.task.QueueStore;
import io.spindle.task.Task;
import io.spindle.task.TaskStore;
import io.spindle.task.TaskWaiters;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;

/**
 * The dispatch core's unit tests' world: a fresh migrated PostgreSQL database with the real stores, and
 * task transitions that record what they announce.
 */
final class DispatchDatabase implements AutoCloseable {
    static final String INSTANCE = "unit-test";

    final TestDatabase.Fresh fresh = TestDatabase.fresh();
    final Database db;
    final QueueStore queues;
    final TaskStore tasks;
    final DispatchStore store;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TaskMetrics metrics = new TaskMetrics(registry);
    /** Every announced event, as {@code "<type> <id>"}. */
    final LinkedBlockingQueue<String> announced = new LinkedBlockingQueue<>();
    final TaskTransitions transitions;
    private int queuesNamed;

    DispatchDatabase(Runnable ring) {
        db = Database.open(TestServer.settings(fresh.jdbcUrl(), fresh).db(), fresh.jdbcUrl(), registry);
        Migrations.migrate(db.dataSource());
        queues = new QueueStore(db);
        tasks = new TaskStore(db);
        store = new DispatchStore(db, INSTANCE);
        transitions = new TaskTransitions(metrics, (event, task) -> announced.add(event.type() + " " + task.id()),
                                          new TaskWaiters(10), ring, (channel, items) -> { }, queue -> false);
    }

    Queue queue(String name, int maxConcurrent, Queue.RetryPolicy retry) {
        Queue queue = new Queue(name, new HandlerSpec.Log(), maxConcurrent, Optional.empty(), retry,
                                Duration.ofDays(1), false);
        queues.save(queue);
        return queue;
    }

    List<Task> enqueue(String queue, int n) {
        List<NewTask> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(new NewTask(queue, "{}", 0, null, null, null));
        }
        return tasks.insert(batch).stream().map(e -> e.orElseThrow()).map(Enqueued::task).toList();
    }

    List<Task> claim(String queue, int n) {
        return store.claim(List.of(new DispatchStore.Want(queue, n, Duration.ofMinutes(5))), n).tasks();
    }

    Task find(Task task) {
        return tasks.find(task.queue(), task.id()).orElseThrow();
    }

    /** Makes a pending task due now (its retry was scheduled later). */
    void makeDue(Task task) {
        db.update("UPDATE tasks SET run_at = now() WHERE id = ?", task.id());
    }

    /** Pauses every queue, so that a later test's dispatcher leaves an earlier test's tasks alone. */
    void pauseAll() {
        db.update("UPDATE queues SET paused = true");
    }

    /** The next {@code n} announced events, in order; fails when they do not come within 10 s. */
    List<String> next(int n) throws InterruptedException {
        List<String> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String event = announced.poll(10, TimeUnit.SECONDS);
            if (event == null) {
                throw new AssertionError("expected " + n + " events, got " + events);
            }
            events.add(event);
        }
        return events;
    }

    double finished(String outcome) {
        var counter = registry.find("spindle.tasks.finished").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    /** A queue name no test used yet, with the events announced so far forgotten: each test on a queue of its own. */
    String nextQueue() {
        announced.clear();
        return "q" + ++queuesNamed;
    }

    @Override
    public void close() {
        db.close();
        fresh.close();
    }
}
