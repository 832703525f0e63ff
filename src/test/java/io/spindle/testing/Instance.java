package io.spindle.testing;

import java.time.Clock;

import io.spindle.Lifecycle;
import io.spindle.Spindle;
import io.spindle.config.Settings;

/**
 * One more Spindle on a database a test already has (several make a cluster), on a clock the test may choose, with
 * a small HTTP client; closing it shuts it down and leaves the database.
 */
public final class Instance implements AutoCloseable {
    private final Lifecycle lifecycle = new Lifecycle();
    private final LocalHttp http;

    private Instance(Settings settings, Clock clock) {
        try {
            http = new LocalHttp(Spindle.start(settings, lifecycle, () -> { }, clock).port());
        } catch (RuntimeException e) {
            lifecycle.close();
            throw e;
        }
    }

    public static Instance start(Settings settings, Clock clock) {
        return new Instance(settings, clock);
    }

    public LocalHttp http() {
        return http;
    }

    @Override
    public void close() {
        lifecycle.close();
    }
}
