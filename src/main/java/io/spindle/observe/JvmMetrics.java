package io.spindle.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;

/**
 * JVM memory and thread gauges under their conventional Prometheus names ({@code jvm_memory_used_bytes},
 * {@code jvm_threads_live_threads}, ...).
 */
public final class JvmMetrics {
    private JvmMetrics() {
    }

    public static void bind(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
    }
}
