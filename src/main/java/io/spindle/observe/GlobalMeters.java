package io.spindle.observe;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.helidon.config.Config;
import io.helidon.metrics.api.Metrics;
import io.helidon.service.registry.GlobalServiceRegistry;
import io.helidon.service.registry.Services;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Helidon's global meter registry (Micrometer underneath), built on a virtual thread of its own as soon as the
 * process starts: building it takes about half a second of a cold JVM (Helidon's service registry, the Micrometer
 * and Prometheus classes), and nothing before the wiring of the meters needs it, so on two cores it overlaps the
 * reading of the settings and the database's start instead of following them.
 */
public final class GlobalMeters {
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final CompletableFuture<MeterRegistry> REGISTRY = new CompletableFuture<>();

    private GlobalMeters() {
    }

    /** Starts building the registry, once, on Helidon's default configuration; returns at once. */
    public static void buildInBackground() {
        build(() -> { });
    }

    /**
     * Starts building the registry, once; returns at once. Helidon's components get {@code configuration} (Spindle's
     * own sources) once it is read, instead of building a default configuration of their own: the service registry
     * is built meanwhile, as it needs none.
     */
    public static void buildInBackground(CompletableFuture<Config> configuration) {
        build(() -> Services.set(Config.class, configuration.join()));
    }

    /** @param configure runs after the service registry is built and before the meter registry is */
    private static void build(Runnable configure) {
        if (STARTED.compareAndSet(false, true)) {
            Thread.ofVirtual().name("meter-registry").start(() -> {
                try {
                    GlobalServiceRegistry.registry();
                    configure.run();
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
