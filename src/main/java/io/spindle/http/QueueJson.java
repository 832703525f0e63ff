package io.spindle.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spindle.handler.BackendBreakers;
import io.spindle.task.Durations;
import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import io.spindle.task.QueueStats;
import io.spindle.task.QueueView;

/**
 * The API's JSON form of a queue with its stats, and for an http queue its backends' breaker states on this instance.
 */
final class QueueJson {
    private QueueJson() {
    }

    static ObjectNode of(QueueView view, BackendBreakers breakers) {
        Queue queue = view.queue();
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("name", queue.name());
        node.set("handler", queue.handler().toJson());
        node.put("maxConcurrent", queue.maxConcurrent());
        queue.rate().ifPresentOrElse(rate -> {
            ObjectNode r = node.putObject("rate");
            r.put("permits", rate.permits());
            r.put("period", Durations.format(rate.period()));
        }, () -> node.putNull("rate"));
        ObjectNode retry = node.putObject("retry");
        retry.put("maxAttempts", queue.retry().maxAttempts());
        retry.put("minBackoff", Durations.format(queue.retry().minBackoff()));
        retry.put("maxBackoff", Durations.format(queue.retry().maxBackoff()));
        node.put("retention", Durations.format(queue.retention()));
        node.put("paused", queue.paused());
        queue.keyConcurrency().ifPresentOrElse(k -> node.put("keyConcurrency", k), () -> node.putNull("keyConcurrency"));
        if (queue.handler() instanceof HandlerSpec.Http http) {
            ArrayNode backends = node.putArray("backends");
            for (BackendBreakers.BackendState backend : breakers.states(queue.name(), http.backends())) {
                backends.addObject().put("url", backend.url().toString()).put("state", backend.state().text());
            }
        }
        QueueStats stats = view.stats();
        ObjectNode s = node.putObject("stats");
        s.put("pending", stats.pending());
        s.put("scheduled", stats.scheduled());
        s.put("running", stats.running());
        s.put("succeeded", stats.succeeded());
        s.put("failed", stats.failed());
        s.put("cancelled", stats.cancelled());
        s.put("oldestPendingAge", Durations.format(stats.oldestPendingAge()));
        return node;
    }
}
