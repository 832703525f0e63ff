package io.spindle.http;

import java.time.Instant;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.spindle.task.Task;

/**
 * The API's JSON form of a task. Payload and result are stored JSON text and are written through as they are.
 */
public final class TaskJson {
    private TaskJson() {
    }

    /** The task as its lifecycle events carry it: everything but payload and result. */
    public static String summary(Task task) {
        ObjectNode node = of(task);
        node.remove("payload");
        node.remove("result");
        return node.toString();
    }

    static ObjectNode of(Task task) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("id", Long.toString(task.id()));
        node.put("queue", task.queue());
        node.put("state", task.state().dbName());
        node.putRawValue("payload", new RawValue(task.payload()));
        node.put("priority", task.priority());
        node.put("runAt", instant(task.runAt()));
        node.put("attempts", task.attempts());
        node.put("maxAttempts", task.maxAttempts());
        node.put("key", task.key());
        node.put("lastError", task.lastError());
        if (task.result() == null) {
            node.putNull("result");
        } else {
            node.putRawValue("result", new RawValue(task.result()));
        }
        node.put("createdAt", instant(task.createdAt()));
        node.put("updatedAt", instant(task.updatedAt()));
        node.put("finishedAt", instant(task.finishedAt()));
        return node;
    }

    private static String instant(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
