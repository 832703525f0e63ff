package io.spindle.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonGenerator;
import io.spindle.task.Task;

/**
 * The API's JSON form of a task, written straight to a generator (no tree): batch and list responses carry
 * hundreds of tasks. Payload and result are stored JSON text and are written through as they are.
 */
public final class TaskJson {
    private TaskJson() {
    }

    /** One task, as the task endpoints answer. */
    static byte[] one(Task task) {
        return write(g -> fields(g, task, true));
    }

    /** {@code {"items": [...]}}, with {@code "nextCursor"} when the response pages (list). */
    static byte[] items(List<Task> tasks, Optional<Optional<String>> nextCursor) {
        return write(g -> {
            g.writeArrayFieldStart("items");
            for (Task task : tasks) {
                g.writeStartObject();
                fields(g, task, true);
                g.writeEndObject();
            }
            g.writeEndArray();
            if (nextCursor.isPresent()) {
                g.writeStringField("nextCursor", nextCursor.get().orElse(null));
            }
        });
    }

    /** The task as its lifecycle events carry it: everything but payload and result, on one line. */
    public static String summary(Task task) {
        return new String(write(g -> fields(g, task, false)), StandardCharsets.UTF_8);
    }

    private interface Body {
        void write(JsonGenerator generator) throws IOException;
    }

    private static byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void fields(JsonGenerator g, Task task, boolean content) throws IOException {
        g.writeStringField("id", Long.toString(task.id()));
        g.writeStringField("queue", task.queue());
        g.writeStringField("state", task.state().dbName());
        if (content) {
            g.writeFieldName("payload");
            g.writeRawValue(task.payload());
        }
        g.writeNumberField("priority", task.priority());
        g.writeStringField("runAt", instant(task.runAt()));
        g.writeNumberField("attempts", task.attempts());
        g.writeNumberField("maxAttempts", task.maxAttempts());
        g.writeStringField("key", task.key());
        g.writeStringField("concurrencyKey", task.concurrencyKey());
        g.writeStringField("schedule", task.schedule());
        g.writeStringField("lastError", task.lastError());
        if (content) {
            g.writeFieldName("result");
            if (task.result() == null) {
                g.writeNull();
            } else {
                g.writeRawValue(task.result());
            }
        }
        g.writeStringField("createdAt", instant(task.createdAt()));
        g.writeStringField("updatedAt", instant(task.updatedAt()));
        g.writeStringField("finishedAt", instant(task.finishedAt()));
    }

    private static String instant(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
