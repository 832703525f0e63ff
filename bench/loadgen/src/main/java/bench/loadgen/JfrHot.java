package bench.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Hot methods of a Spindle flight recording, per benchmark phase (the phase windows are the
 * {@code window.<phase>} lines of the run's .kv file): CPU samples ({@code jdk.ExecutionSample}) counted by
 * top frame, and by the innermost frame in Spindle's own code ({@code io.spindle}), which says which of
 * Spindle's call sites the time in the JDK, Helidon, Jackson or the JDBC driver is spent for.
 */
final class JfrHot {
    private JfrHot() {
    }

    static void print(Path jfr, Path kvFile, int top) throws IOException {
        Map<String, long[]> windows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(kvFile)) {
            if (line.startsWith("window.") && line.contains("=")) {
                String[] v = line.substring(line.indexOf('=') + 1).split("-");
                if (v.length == 2) {
                    windows.put(line.substring(7, line.indexOf('=')), new long[]{Long.parseLong(v[0]), Long.parseLong(v[1])});
                }
            }
        }
        Map<String, Map<String, Integer>> byTop = new HashMap<>();
        Map<String, Map<String, Integer>> bySpindle = new HashMap<>();
        Map<String, Integer> totals = new HashMap<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            long t = e.getStartTime().toEpochMilli();
            String phase = null;
            for (Map.Entry<String, long[]> w : windows.entrySet()) {
                if (t >= w.getValue()[0] && t <= w.getValue()[1]) {
                    phase = w.getKey();
                    break;
                }
            }
            if (phase == null) {
                continue;
            }
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            List<RecordedFrame> frames = stack.getFrames();
            totals.merge(phase, 1, Integer::sum);
            byTop.computeIfAbsent(phase, k -> new HashMap<>()).merge(name(frames.get(0)), 1, Integer::sum);
            String own = "(no Spindle frame: server, client or JDK threads)";
            for (RecordedFrame f : frames) {
                if (f.getMethod().getType().getName().startsWith("io.spindle.")) {
                    own = name(f);
                    break;
                }
            }
            bySpindle.computeIfAbsent(phase, k -> new HashMap<>()).merge(own, 1, Integer::sum);
        }
        for (String phase : windows.keySet()) {
            int total = totals.getOrDefault(phase, 0);
            System.out.printf("== %s: %d CPU samples (%s .. %s)%n", phase, total,
                              Instant.ofEpochMilli(windows.get(phase)[0]), Instant.ofEpochMilli(windows.get(phase)[1]));
            if (total == 0) {
                continue;
            }
            System.out.println("  top frames:");
            list(byTop.get(phase), total, top);
            System.out.println("  innermost Spindle frame:");
            list(bySpindle.get(phase), total, top);
        }
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName() + (f.isJavaFrame() ? "" : " (native)");
    }

    private static void list(Map<String, Integer> counts, int total, int top) {
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
        for (int i = 0; i < Math.min(top, sorted.size()); i++) {
            System.out.printf("    %5.1f %%  %s%n", 100.0 * sorted.get(i).getValue() / total, sorted.get(i).getKey());
        }
    }
}
