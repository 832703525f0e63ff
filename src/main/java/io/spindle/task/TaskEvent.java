package io.spindle.task;

/**
 * The transitions of a task that are announced on topic {@code tasks.{queue}}.
 */
public enum TaskEvent {
    CREATED("task.created"),
    STARTED("task.started"),
    RETRYING("task.retrying"),
    SUCCEEDED("task.succeeded"),
    FAILED("task.failed"),
    CANCELLED("task.cancelled");

    private final String type;

    TaskEvent(String type) {
        this.type = type;
    }

    /** The event type as subscribers see it. */
    public String type() {
        return type;
    }

    /** The event a transition into {@code state} announces (a new task announces {@link #CREATED} instead). */
    public static TaskEvent of(TaskState state) {
        return switch (state) {
            case PENDING -> RETRYING;
            case RUNNING -> STARTED;
            case SUCCEEDED -> SUCCEEDED;
            case FAILED -> FAILED;
            case CANCELLED -> CANCELLED;
        };
    }
}
