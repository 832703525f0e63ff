package io.spindle.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.db.Database;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A queue's maxConcurrent shared by instances that wait for it: the claim of one that frees its own slots takes
 * no more than its fair share while another instance waits (listed in the queue's flow row by its held-back
 * claim), and all of the room once nobody has waited for a second. Two "instances" are two stores on one
 * database; the queue stays paused, so the server's dispatcher claims nothing by itself.
 */
class FairShareTest {
    private static final Duration LEASE = Duration.ofMinutes(5);

    static TestServer server;
    static Database db;
    static DispatchStore a;
    static DispatchStore b;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        db = Database.open(TestServer.settings(server.database().jdbcUrl(), server.database()).db(),
                           server.database().jdbcUrl(), new SimpleMeterRegistry());
        a = new DispatchStore(db, "instance-a");
        b = new DispatchStore(db, "instance-b");
    }

    @AfterAll
    static void stop() {
        db.close();
        server.close();
    }

    @Test
    void whileAnotherInstanceWaitsAClaimTakesItsFairShareOfTheSlots() throws Exception {
        assertThat(server.put("/v1/queues/shared", "{\"handler\": {\"type\": \"log\"}, \"maxConcurrent\": 6, \"paused\": true}")
                         .statusCode()).isEqualTo(201);
        StringBuilder batch = new StringBuilder("{\"tasks\": [");
        for (int i = 0; i < 30; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"payload\": ").append(i).append('}');
        }
        assertThat(server.post("/v1/queues/shared/tasks/batch", batch + "]}").statusCode()).isEqualTo(201);

        List<Task> first = claim(a, 0).tasks();
        assertThat(first).as("alone, a takes every slot").hasSize(6);
        DispatchStore.Claim waiting = claim(b, 0);
        assertThat(waiting.tasks()).isEmpty();
        assertThat(waiting.heldBack()).as("b is held back, and waits").isTrue();

        end(a, first);
        DispatchStore.Claim again = claim(a, 0);
        assertThat(again.tasks()).as("a's share while b waits: 6 over 2").hasSize(3);
        assertThat(again.heldBack()).isTrue();
        DispatchStore.Claim share = claim(b, 0);
        assertThat(share.tasks()).as("b's share: the rest").hasSize(3);

        end(a, again.tasks());
        assertThat(claim(a, 0).tasks()).as("a holds none, b holds 3: a's share is 3 while b waits").hasSize(3);

        Thread.sleep(1100); // nobody was held back for a second: no one waits any more
        end(b, share.tasks());
        assertThat(claim(a, 3).tasks()).as("a, holding 3, takes all the free room").hasSize(3);
    }

    private static DispatchStore.Claim claim(DispatchStore store, int held) {
        return store.claim(List.of(new DispatchStore.Want("shared", 6 - held, LEASE, held)), 6 - held);
    }

    private static void end(DispatchStore store, List<Task> tasks) {
        assertThat(store.complete(tasks.stream().map(t -> Completion.of(t, new AttemptEnd.Succeeded(null))).toList()))
                .hasSize(tasks.size());
    }
}
