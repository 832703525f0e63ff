package io.spindle.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.testing.ChildProcess;
import io.spindle.testing.KeepAliveConnection;
import io.spindle.testing.TestDatabase;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * Two instances on one database and 8 producers, each enqueueing request after request on one kept-alive
 * connection to the first; SIGTERM to it. No request is cut into a 500: every refusal is 503 with
 * {@code Retry-After} and {@code Connection: close}, after which the producer goes on at the other instance,
 * and the server's stop does not wait out its grace for connections that will never end. A request whose body is
 * still arriving at the SIGTERM holds the stop open (so the 503s cannot be missed by timing) and then finishes
 * with 201 and {@code Connection: close}.
 */
class KeepAliveShutdownIT {
    private static final int PRODUCERS = 8;
    private static final Duration GRACE = Duration.ofSeconds(3);
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(10);
    private static final String ENQUEUE = "/v1/queues/default/tasks";
    private static final Pattern SERVER_STEP = Pattern.compile("shutdown step http-server done in (\\d+) ms");

    @Test
    void sigtermUnderKeepAliveLoadRefusesWith503AndCutsNoRequest() throws Exception {
        try (TestDatabase.Fresh db = TestDatabase.fresh()) {
            Lifecycle other = new Lifecycle();
            int otherPort = Spindle.start(TestServer.settings(db.jdbcUrl(), db), other).port();
            int port = ChildProcess.freePort();
            Path workDir = Files.createTempDirectory("spindle-keepalive");
            Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
            Queue<String> badRefusals = new ConcurrentLinkedQueue<>();
            AtomicInteger acknowledged = new AtomicInteger();
            LongAdder cutConnections = new LongAdder();
            try (ChildProcess child = ChildProcess.launch(workDir, Map.of(
                    "DB_URL", db.jdbcUrl(), "DB_USERNAME", db.username(), "DB_PASSWORD", db.password(),
                    "SERVER_PORT", Integer.toString(port), "SHUTDOWN_GRACE", GRACE.toString()), List.of("-Xmx256m"))) {
                child.awaitReady(port, Duration.ofSeconds(30));
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> producers = new ArrayList<>();
                for (int i = 0; i < PRODUCERS; i++) {
                    producers.add(Thread.ofVirtual().start(() -> {
                        int target = port;
                        while (!stop.get()) {
                            try (KeepAliveConnection connection = KeepAliveConnection.open(target, IO_TIMEOUT)) {
                                KeepAliveConnection.Response response;
                                do {
                                    response = connection.send("POST", ENQUEUE, "{\"payload\": {}}");
                                    statuses.computeIfAbsent(response.status(), s -> new LongAdder()).increment();
                                    if (response.status() == 201) {
                                        acknowledged.incrementAndGet();
                                    } else if (response.status() == 503 && (response.header("retry-after").isEmpty()
                                            || !response.closes())) {
                                        badRefusals.add(response.headers().toString());
                                    }
                                } while (!response.closes() && response.status() != 503 && !stop.get());
                                if (response.status() == 503) {
                                    target = otherPort; // as a load balancer would, once told to go elsewhere
                                }
                            } catch (IOException e) {
                                cutConnections.increment(); // gone between two requests, or refused: go elsewhere
                                target = otherPort;
                            }
                        }
                    }));
                }
                awaitAcknowledged(child, acknowledged, 2_000);
                // one request admitted before the SIGTERM whose body is still on its way: the server's stop waits
                // for it, so the producers' next requests meet the closed gate (503) rather than a closed listener
                try (KeepAliveConnection slow = KeepAliveConnection.open(port, IO_TIMEOUT)) {
                    String json = "{\"payload\": {}}";
                    KeepAliveConnection.Response.Pending rest = slow.sendPart("POST", ENQUEUE, json, json.length() - 5);
                    Thread.sleep(200); // the server has read the head and admitted the request
                    child.terminate();
                    await().atMost(Duration.ofMillis(1500)).pollInterval(Duration.ofMillis(10))
                            .until(() -> statuses.containsKey(503));
                    KeepAliveConnection.Response response = rest.finish();
                    assertThat(response.status()).as("the request in flight at the SIGTERM").isEqualTo(201);
                    assertThat(response.closes()).as("it ends its connection").isTrue();
                }
                int exit = child.awaitExit(Duration.ofSeconds(20));
                int atExit = acknowledged.get();
                awaitAcknowledged(child, acknowledged, atExit + 500); // the load goes on at the other instance
                stop.set(true);
                for (Thread producer : producers) {
                    producer.join(IO_TIMEOUT.plusSeconds(5));
                }
                String output = child.output();
                System.out.println("KeepAliveShutdownIT: statuses " + statuses + ", connections cut "
                        + cutConnections.sum() + ", http-server step " + serverStepMillis(output) + " ms");

                assertThat(exit).as("exit code after SIGTERM; output:%n%s", output).isIn(0, 143);
                assertThat(statuses.keySet()).as("statuses of %s requests", statuses).isSubsetOf(201, 503)
                        .as("producers told to go elsewhere").contains(503);
                assertThat(badRefusals).as("503s without Retry-After and Connection: close").isEmpty();
                assertThat(output).doesNotContain("Failed to wait for pipeline", "exceeded its deadline");
                assertThat(serverStepMillis(output)).as("the server's stop did not wait out its grace; output:%n%s", output)
                        .isLessThan(GRACE.toMillis());
            } finally {
                other.close();
            }
            try (Connection c = db.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM tasks WHERE queue = 'default'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("every acknowledged task is stored").isGreaterThanOrEqualTo(acknowledged.get());
            }
        }
    }

    private static void awaitAcknowledged(ChildProcess child, AtomicInteger acknowledged, int count) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .alias(count + " tasks acknowledged")
                .until(() -> acknowledged.get() >= count);
    }

    private static long serverStepMillis(String output) {
        Matcher m = SERVER_STEP.matcher(output);
        return m.find() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
    }
}
