package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.config.Settings;
import io.spindle.db.Database;
import io.spindle.task.DispatchStore;
import io.spindle.task.Task;
import io.spindle.testing.Backend;
import io.spindle.testing.Json;
import io.spindle.testing.SettingsChange;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A queue's maxConcurrent and rate hold across three instances on one database, counted where the backend sees
 * them; and the slots of an instance that died with running tasks free up once the lease reaper rescues them.
 */
class GlobalLimitsTest {
    static TestServer first;
    static final List<Lifecycle> others = new ArrayList<>();
    static Backend slow;
    static Backend fast;

    @BeforeAll
    static void start() {
        slow = Backend.start().answer(Backend.after(Duration.ofMillis(200), Backend.Reply.OK));
        fast = Backend.start();
        first = TestServer.start(GlobalLimitsTest::shortLeases);
        for (int i = 0; i < 2; i++) {
            Lifecycle lifecycle = new Lifecycle();
            Spindle.start(shortLeases(TestServer.settings(first.database().jdbcUrl(), first.database())), lifecycle);
            others.add(lifecycle);
        }
        // the first deliveries of a fresh JVM spread over a hundred milliseconds or more (class loading, JIT, new
        // connections), more than the rate's margin for the spread between a claim and its requests
        assertThat(first.put("/v1/queues/warm-up", """
                {"handler": {"type": "http", "backends": ["%s"], "path": "/warm-up"}, "paused": true}
                """.formatted(fast.uri())).statusCode()).isEqualTo(201);
        enqueue("warm-up", 300);
        assertThat(first.post("/v1/queues/warm-up/resume", "").statusCode()).isEqualTo(200);
        awaitSucceeded("warm-up", 300, Duration.ofSeconds(30));
    }

    /** Leases of the handler timeout plus 300 ms, looked for every 300 ms: a dead instance's tasks come back soon. */
    private static Settings shortLeases(Settings s) {
        return SettingsChange.of(s).dispatch(new Settings.Dispatch(
                16, 100, Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(1),
                s.dispatch().completionsPerWorker())).build();
    }

    @AfterAll
    static void stop() {
        others.forEach(Lifecycle::close);
        first.close();
        slow.close();
        fast.close();
    }

    @Test
    void threeInstancesNeverRunMoreThanMaxConcurrentTasksOfAQueue() {
        assertThat(first.put("/v1/queues/five", """
                {"handler": {"type": "http", "backends": ["%s"]}, "maxConcurrent": 5, "paused": true}
                """.formatted(slow.uri())).statusCode()).isEqualTo(201);
        enqueue("five", 60);
        assertThat(first.post("/v1/queues/five/resume", "").statusCode()).isEqualTo(200);

        Set<String> owners = awaitSucceeded("five", 60, Duration.ofSeconds(30));
        assertThat(slow.maxInFlight()).as("requests the backend held at once").isEqualTo(5);
        assertThat(owners).as("instances that ran tasks").hasSize(3);
    }

    @Test
    void threeInstancesStartNoMoreThanPermitsInAnyPeriod() {
        // each period's tasks stay running for 200 ms, long enough for the polls of awaitSucceeded to see who runs
        // them: a fast backend's burst could end within the gap between two polls, and one owner was all they saw
        try (Backend held = Backend.start().answer(Backend.after(Duration.ofMillis(200), Backend.Reply.OK))) {
            assertThat(first.put("/v1/queues/rated", """
                    {"handler": {"type": "http", "backends": ["%s"], "path": "/rated"}, "maxConcurrent": 100,
                     "rate": {"permits": 20, "period": "PT1S"}, "paused": true}
                    """.formatted(held.uri())).statusCode()).isEqualTo(201);
            enqueue("rated", 200);
            assertThat(first.post("/v1/queues/rated/resume", "").statusCode()).isEqualTo(200);

            Set<String> owners = awaitSucceeded("rated", 200, Duration.ofSeconds(30));
            List<Long> starts = held.received().stream().map(Backend.Received::nanos).sorted().toList();
            assertThat(starts).hasSize(200);
            int most = 0;
            for (int i = 0, j = 0; i < starts.size(); i++) {
                while (starts.get(i) - starts.get(j) >= Duration.ofSeconds(1).toNanos()) {
                    j++;
                }
                most = Math.max(most, i - j + 1);
            }
            Duration total = Duration.ofNanos(starts.getLast() - starts.getFirst());
            System.out.println("GlobalLimitsTest: 200 starts at 20/PT1S over " + total.toMillis() + " ms, at most " + most
                               + " in a second, by " + owners.size() + " instances");
            assertThat(most).as("starts in the busiest second").isLessThanOrEqualTo(20);
            assertThat(total).as("nine more periods after the first burst")
                    .isBetween(Duration.ofSeconds(9), Duration.ofSeconds(12));
            assertThat(owners).as("instances that ran tasks").hasSizeGreaterThan(1);
        }
    }

    @Test
    void theSlotsOfADeadInstanceFreeUpWhenItsLeasesAreRescued() throws Exception {
        try (Backend backend = Backend.start().answer(Backend.after(Duration.ofMillis(200), Backend.Reply.OK))) {
            slotsFreeUp(backend);
        }
    }

    private void slotsFreeUp(Backend backend) throws Exception {
        assertThat(first.put("/v1/queues/crash", """
                {"handler": {"type": "http", "backends": ["%s"], "timeout": "PT2S"}, "maxConcurrent": 5,
                 "paused": true}
                """.formatted(backend.uri())).statusCode()).isEqualTo(201);
        enqueue("crash", 25);
        Settings settings = TestServer.settings(first.database().jdbcUrl(), first.database());
        try (Database db = Database.open(settings.db(), first.database().jdbcUrl(), new SimpleMeterRegistry())) {
            // an instance that claims the queue's five slots and is never heard of again (its process died)
            DispatchStore dead = new DispatchStore(db, "dead-instance");
            List<Task> held = dead.claim(List.of(new DispatchStore.Want("crash", 10, Duration.ofSeconds(2))), 10).tasks();
            assertThat(held).hasSize(5);
            long resumed = System.nanoTime();
            assertThat(first.post("/v1/queues/crash/resume", "").statusCode()).isEqualTo(200);
            AtomicInteger startedEarly = new AtomicInteger();
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(2)).until(() -> {
                startedEarly.set(liveRunning("crash"));
                return startedEarly.get() == 0;
            });
            Set<String> owners = awaitSucceeded("crash", 25, Duration.ofSeconds(30));
            assertThat(System.nanoTime() - resumed).as("the rest waited for the rescue")
                    .isGreaterThan(Duration.ofMillis(1500).toNanos());
            assertThat(backend.maxInFlight()).isLessThanOrEqualTo(5);
            var rescued = Json.parse(first.get("/v1/queues/crash/tasks/" + held.getFirst().id()).body());
            assertThat(rescued.path("attempts").asInt()).as("the dead attempt counts").isEqualTo(2);
        }
    }

    private static int liveRunning(String queue) throws Exception {
        try (Connection c = first.database().connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM tasks WHERE queue = '" + queue
                                            + "' AND state = 'running' AND lease_owner <> 'dead-instance'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void enqueue(String queue, int n) {
        StringBuilder body = new StringBuilder("{\"tasks\": [");
        for (int i = 0; i < n; i++) {
            body.append(i == 0 ? "" : ",").append("{\"payload\": ").append(i).append('}');
        }
        body.append("]}");
        assertThat(first.post("/v1/queues/" + queue + "/tasks/batch", body.toString()).statusCode()).isEqualTo(201);
    }

    /** Waits until {@code n} tasks of the queue succeeded; returns the lease owners seen meanwhile. */
    private static Set<String> awaitSucceeded(String queue, int n, Duration atMost) {
        Set<String> owners = new HashSet<>();
        try (Connection c = first.database().connect(); Statement st = c.createStatement()) {
            await().atMost(atMost).pollInterval(Duration.ofMillis(20)).until(() -> {
                try (ResultSet rs = st.executeQuery("SELECT DISTINCT lease_owner FROM tasks WHERE queue = '" + queue
                                                    + "' AND state = 'running'")) {
                    while (rs.next()) {
                        owners.add(rs.getString(1));
                    }
                }
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM tasks WHERE queue = '" + queue
                                                    + "' AND state = 'succeeded'")) {
                    rs.next();
                    return rs.getInt(1) >= n;
                }
            });
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return owners;
    }
}
