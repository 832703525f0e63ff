package io.spindle.observe;

import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

/**
 * Readiness that turns DOWN for good when closed: the first step of shutdown, so load balancers stop
 * sending work before anything else stops.
 */
public final class ShutdownReadiness implements HealthCheck, AutoCloseable {
    private final AtomicBoolean shuttingDown = new AtomicBoolean();

    @Override
    public HealthCheckType type() {
        return HealthCheckType.READINESS;
    }

    @Override
    public String name() {
        return "accepting";
    }

    @Override
    public HealthCheckResponse call() {
        return shuttingDown.get()
                ? HealthCheckResponse.builder().status(HealthCheckResponse.Status.DOWN).detail("state", "shutting down").build()
                : HealthCheckResponse.builder().status(HealthCheckResponse.Status.UP).build();
    }

    @Override
    public void close() {
        shuttingDown.set(true);
    }
}
