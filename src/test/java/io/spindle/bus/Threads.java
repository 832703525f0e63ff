package io.spindle.bus;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.spindle.testing.Json;

/**
 * Counts live threads, virtual ones included (which {@code Thread.getAllStackTraces} leaves out), from a JSON
 * thread dump.
 */
final class Threads {
    private Threads() {
    }

    /** Threads, platform and virtual, whose stack has a frame containing {@code frame} (all threads if empty). */
    static int count(String frame) {
        try {
            Path file = Files.createTempFile("threads", ".json");
            Files.delete(file);
            try {
                ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                        .dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
                JsonNode dump = Json.parse(Files.readString(file));
                int count = 0;
                for (JsonNode container : dump.path("threadDump").path("threadContainers")) {
                    for (JsonNode thread : container.path("threads")) {
                        if (frame.isEmpty() || thread.path("stack").toString().contains(frame)) {
                            count++;
                        }
                    }
                }
                return count;
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
