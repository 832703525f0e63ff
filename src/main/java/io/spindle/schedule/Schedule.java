package io.spindle.schedule;

/**
 * A schedule as a client defines it: it creates a task of {@code queue} with {@code payload} (JSON text) and
 * {@code priority} at each fire time of its {@code timing}.
 */
public record Schedule(String queue, String name, Timing timing, String payload, int priority, CatchUp catchUp,
                       boolean paused) {
}
