package io.spindle.observe;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.spindle.db.Database;

/**
 * Readiness of the database: a {@code SELECT 1} must answer within {@code health.db-timeout}. A ping
 * that is still running is shared by later probes rather than started again, so a hung database costs
 * one waiting virtual thread, not one per probe.
 */
public final class DatabaseReadiness implements HealthCheck {
    private final Database database;
    private final Duration timeout;
    private final AtomicReference<CompletableFuture<HealthCheckResponse>> inFlight = new AtomicReference<>();

    public DatabaseReadiness(Database database, Duration timeout) {
        this.database = database;
        this.timeout = timeout;
    }

    @Override
    public HealthCheckType type() {
        return HealthCheckType.READINESS;
    }

    @Override
    public String name() {
        return "database";
    }

    @Override
    public HealthCheckResponse call() {
        CompletableFuture<HealthCheckResponse> attempt = inFlight.updateAndGet(
                current -> current != null && !current.isDone() ? current : startPing());
        try {
            return attempt.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return down("no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            return down(String.valueOf(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return down("interrupted");
        }
    }

    private CompletableFuture<HealthCheckResponse> startPing() {
        CompletableFuture<HealthCheckResponse> future = new CompletableFuture<>();
        Thread.ofVirtual().name("readiness-ping").start(() -> {
            try {
                database.first("SELECT 1", row -> true);
                future.complete(HealthCheckResponse.builder().status(HealthCheckResponse.Status.UP).build());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return future;
    }

    private static HealthCheckResponse down(String reason) {
        return HealthCheckResponse.builder()
                .status(HealthCheckResponse.Status.DOWN)
                .detail("error", reason)
                .build();
    }
}
