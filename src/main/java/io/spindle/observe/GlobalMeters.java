package io.spindle.observe;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.metrics.api.Metrics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Helidon's global meter registry (Micrometer underneath), built on a virtual thread of its own as soon as the
 * process starts: building it takes about half a second (Helidon's service registry, the Micrometer and
 * Prometheus classes), and nothing before the wiring of the meters needs it, so on two cores it overlaps the
 * reading of the settings and the database's start instead of following them. It does not depend on Spindle's
 * settings (Helidon reads its own defaults).
 */
public final class GlobalMeters {
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final CompletableFuture<MeterRegistry> REGISTRY = new CompletableFuture<>();

    private GlobalMeters() {
    }

    /** Starts building the registry, once; returns at once. */
    public static void buildInBackground() {
        if (STARTED.compareAndSet(false, true)) {
            Thread.ofVirtual().name("meter-registry").start(() -> {
                try {
                    REGISTRY.complete(Metrics.globalRegistry().unwrap(MeterRegistry.class));
                } catch (RuntimeException | Error e) {
                    REGISTRY.completeExceptionally(e);
                }
            });
        }
    }

    /** The registry, waiting for it to be built (starting that if nobody did). */
    public static MeterRegistry registry() {
        buildInBackground();
        try {
            return REGISTRY.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
        }
    }
}
