package io.spindle.handler;

import java.util.logging.Level;
import java.util.logging.Logger;

import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * Runs a task by logging its payload at INFO, cut to {@value #MAX_LOGGED_CHARS} characters, and succeeding.
 */
public final class LogTaskHandler implements TaskHandler {
    static final int MAX_LOGGED_CHARS = 1_000;
    static final String RESULT = "{\"logged\":true}";
    private static final Logger LOG = Logger.getLogger(LogTaskHandler.class.getName());

    @Override
    public Outcome handle(Queue queue, Task task) {
        if (LOG.isLoggable(Level.INFO)) {
            LOG.info("task " + task.id() + " of queue " + queue.name() + " (attempt " + task.attempts() + "): "
                     + truncate(task.payload()));
        }
        return new Outcome.Success(RESULT);
    }

    static String truncate(String payload) {
        if (payload == null || payload.length() <= MAX_LOGGED_CHARS) {
            return payload;
        }
        int end = Character.isHighSurrogate(payload.charAt(MAX_LOGGED_CHARS - 1))
                ? MAX_LOGGED_CHARS - 1
                : MAX_LOGGED_CHARS;
        return payload.substring(0, end) + "… (" + payload.length() + " chars)";
    }
}
