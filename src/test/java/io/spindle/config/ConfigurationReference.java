package io.spindle.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Renders the key tables of {@link Settings} as the two files a user reads: the key table of
 * {@code docs/configuration.md} and the sample {@code config/application.yaml} (every key commented out at its
 * default). {@link ConfigurationFilesTest} fails when either file differs from what this renders.
 */
final class ConfigurationReference {
    static final String TABLE_BEGIN = "<!-- BEGIN key table: generated from io.spindle.config.Settings -->";
    static final String TABLE_END = "<!-- END key table -->";

    private static final int VALUE_COLUMN = 30;

    private ConfigurationReference() {
    }

    /** The Markdown table of every key, between its two marker lines. */
    static String markdownTable(List<Key<?>> keys) {
        StringBuilder out = new StringBuilder(TABLE_BEGIN).append('\n');
        out.append("| key | default | accepted | environment variable | what it does |\n");
        out.append("|---|---|---|---|---|\n");
        for (Key<?> key : keys) {
            String doc = key.doc() + key.formerName().map(f -> " (formerly `" + f + "`, still read)").orElse("");
            out.append("| `").append(key.name()).append("` | ").append(markdownDefault(key)).append(" | ")
                    .append(markdownRange(key)).append(" | `").append(key.environmentVariable()).append("` | ")
                    .append(doc.replace("|", "\\|")).append(" |\n");
        }
        return out.append(TABLE_END).append('\n').toString();
    }

    /**
     * The sample configuration file: each key's line commented out ({@code # } before its indentation) with its
     * default, its accepted values and its doc; the mapping lines above it are commented out the same way.
     */
    static String sampleYaml(List<Key<?>> keys) {
        StringBuilder out = new StringBuilder("""
                # Spindle's configuration: every key at its default, commented out. To change one, uncomment its line
                # and the lines of the sections above it. Nothing here is set, so a newer Spindle's defaults apply.
                # Environment variables override this file (dots become _, dashes _dash_: db.url <- DB_URL,
                # server.max-payload <- SERVER_MAX_dash_PAYLOAD); Java system properties override both.
                # Every key, its range and its variable: docs/configuration.md (this file is generated from the same
                # table, io.spindle.config.Settings; ConfigurationFilesTest says how to regenerate it).
                """);
        List<String> open = List.of();
        for (Key<?> key : keys) {
            List<String> path = List.of(key.name().split("\\."));
            List<String> sections = path.subList(0, path.size() - 1);
            int common = 0;
            while (common < Math.min(open.size(), sections.size()) && open.get(common).equals(sections.get(common))) {
                common++;
            }
            for (int depth = common; depth < sections.size(); depth++) {
                out.append("# ").append("  ".repeat(depth)).append(sections.get(depth)).append(":\n");
            }
            open = sections;
            String line = "  ".repeat(sections.size()) + path.getLast() + ": " + yamlValue(key);
            out.append("# ").append(line).append(" ".repeat(Math.max(1, VALUE_COLUMN - line.length())))
                    .append("# ").append(key.doc()).append(" (").append(words(key)).append(")\n");
            if (key == Settings.Security.ANONYMOUS) {
                out.append("#   # api-keys: a list of keys, each with a name, roles, and key-env or sha256 (docs/configuration.md)\n");
            }
        }
        return out.toString();
    }

    /** The sample with every key's line uncommented: what a user gets who uncomments them all. */
    static String uncommented(String sample) {
        List<String> lines = new ArrayList<>();
        for (String line : sample.split("\n", -1)) {
            lines.add(line.matches("# *[a-z][a-z0-9-]*:( .*)?") ? line.substring(2) : line);
        }
        return String.join("\n", lines);
    }

    private static String markdownDefault(Key<?> key) {
        return switch (key.type()) {
            case JDBC_URL -> "unset";
            case SECRET, SIGNING_SECRETS -> "empty";
            case BYTES -> "`" + key.defaultValue() + "`" + bytesInWords((Long) key.defaultValue()).map(w -> " (" + w + ")").orElse("");
            default -> "`" + key.defaultValue() + "`";
        };
    }

    private static String markdownRange(Key<?> key) {
        return switch (key.type()) {
            case INTEGER, BYTES, DURATION -> "`" + key.min() + "` to `" + key.max() + "`";
            default -> words(key);
        };
    }

    private static String words(Key<?> key) {
        return switch (key.type()) {
            case TEXT -> "not blank";
            case SECRET -> "any text";
            case SIGNING_SECRETS -> "whsec_ and 24 to 64 bytes in base64, comma-separated";
            case JDBC_URL -> "a jdbc:postgresql: URL, or unset";
            case BOOLEAN -> "true or false";
            case INTEGER, BYTES, DURATION -> key.min() + " to " + key.max();
        };
    }

    private static String yamlValue(Key<?> key) {
        return switch (key.type()) {
            case JDBC_URL, SECRET, SIGNING_SECRETS -> "\"\"";
            case DURATION -> ((Duration) key.defaultValue()).toString();
            default -> key.defaultValue().toString();
        };
    }

    private static Optional<String> bytesInWords(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        for (int i = units.length; i >= 1; i--) {
            long unit = 1L << (10 * i);
            if (bytes >= unit && bytes % unit == 0) {
                return Optional.of(bytes / unit + " " + units[i - 1]);
            }
        }
        return Optional.empty();
    }
}
