package io.spindle.testing;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples out of a Prometheus text exposition ({@code GET /observe/metrics}). */
public final class Exposition {
    private Exposition() {
    }

    /** The value of the first sample of {@code name} (with or without labels), if there is one. */
    public static Optional<Double> first(String text, String name) {
        Matcher m = samples(text, name);
        return m.find() ? Optional.of(Double.parseDouble(m.group(3))) : Optional.empty();
    }

    /**
     * The sum of the samples of {@code name} whose labels include each of {@code labels}, given as name, value,
     * name, value, …; a null value matches any. 0 when there is none.
     */
    public static double sum(String text, String name, String... labels) {
        double total = 0;
        Matcher m = samples(text, name);
        while (m.find()) {
            if (hasAll(m.group(2) == null ? "" : m.group(2), labels)) {
                total += Double.parseDouble(m.group(3));
            }
        }
        return total;
    }

    private static Matcher samples(String text, String name) {
        return Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{([^}]*)\\})?\\s+(\\S+)").matcher(text);
    }

    private static boolean hasAll(String present, String... labels) {
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (labels[i + 1] != null && !present.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) {
                return false;
            }
        }
        return true;
    }
}
