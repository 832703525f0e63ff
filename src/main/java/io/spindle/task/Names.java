package io.spindle.task;

import java.util.List;
import java.util.regex.Pattern;

import io.spindle.error.SpindleException;

/**
 * The naming rules of queues and topics.
 */
public final class Names {
    private static final Pattern QUEUE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private Names() {
    }

    public static boolean isQueueName(String name) {
        return name != null && QUEUE.matcher(name).matches();
    }

    public static boolean isTopicName(String name) {
        return name != null && TOPIC.matcher(name).matches();
    }

    /** @throws SpindleException.Invalid naming the rule when {@code name} breaks it */
    public static String requireQueueName(String name) {
        if (!isQueueName(name)) {
            throw new SpindleException.Invalid("Invalid queue name.", List.of(
                    new SpindleException.FieldError("name", "must match [A-Za-z0-9_-]{1,64}")));
        }
        return name;
    }
}
