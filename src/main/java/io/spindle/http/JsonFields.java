package io.spindle.http;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.error.SpindleException.FieldError;

/**
 * Reads the fields of one JSON object, collecting every problem (wrong type, out of range, unknown
 * field) instead of stopping at the first, so that a 400 lists them all.
 */
final class JsonFields {
    private final JsonNode node;
    private final String prefix;
    private final List<FieldError> errors;
    private final Set<String> read = new HashSet<>();

    private JsonFields(JsonNode node, String prefix, List<FieldError> errors) {
        this.node = node;
        this.prefix = prefix;
        this.errors = errors;
    }

    /** The body's top-level object; a body that is not an object is one error. */
    static JsonFields root(JsonNode node, List<FieldError> errors) {
        if (!node.isObject()) {
            errors.add(new FieldError("", "must be a JSON object"));
        }
        return new JsonFields(node, "", errors);
    }

    /** An object inside a larger document; errors are reported under {@code prefix}. */
    static JsonFields at(JsonNode node, String prefix, List<FieldError> errors) {
        if (!node.isObject()) {
            errors.add(new FieldError(prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix,
                                      "must be a JSON object"));
        }
        return new JsonFields(node, prefix, errors);
    }

    /** Whether the field is present at all, even as JSON null. */
    boolean present(String field) {
        read.add(field);
        return node.has(field);
    }

    boolean has(String field) {
        read.add(field);
        JsonNode value = node.get(field);
        return value != null && !value.isNull();
    }

    /** A nested object, if present; an error if present but not an object. */
    Optional<JsonFields> object(String field) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = node.get(field);
        if (!value.isObject()) {
            error(field, "must be an object");
            return Optional.empty();
        }
        return Optional.of(new JsonFields(value, path(field) + ".", errors));
    }

    Optional<JsonNode> any(String field) {
        return has(field) ? Optional.of(node.get(field)) : Optional.empty();
    }

    Optional<String> text(String field, int maxLength) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = node.get(field);
        if (!value.isTextual()) {
            error(field, "must be a string");
            return Optional.empty();
        }
        if (value.asText().length() > maxLength) {
            error(field, "must be at most " + maxLength + " characters");
            return Optional.empty();
        }
        if (!storable(value.asText())) {
            error(field, "must not contain NUL or unpaired surrogate characters");
            return Optional.empty();
        }
        return Optional.of(value.asText());
    }

    /**
     * Whether PostgreSQL can store the text as it is: {@code text} columns refuse NUL, {@code jsonb} refuses
     * {@code \u0000}, and the driver would silently turn an unpaired surrogate into {@code ?}.
     */
    static boolean storable(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    Optional<List<JsonNode>> array(String field, int maxItems) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = node.get(field);
        if (!value.isArray()) {
            error(field, "must be an array");
            return Optional.empty();
        }
        if (value.size() > maxItems) {
            error(field, "must have at most " + maxItems + " items");
            return Optional.empty();
        }
        var items = new java.util.ArrayList<JsonNode>(value.size());
        value.forEach(items::add);
        return Optional.of(items);
    }

    int integer(String field, int min, int max, int defaultValue) {
        return optionalInteger(field, min, max).orElse(defaultValue);
    }

    Optional<Integer> optionalInteger(String field, int min, int max) {
        if (!has(field)) {
            return Optional.empty();
        }
        JsonNode value = node.get(field);
        if (!value.isIntegralNumber()) {
            error(field, "must be a whole number");
            return Optional.empty();
        }
        if (!value.canConvertToLong() || value.asLong() < min || value.asLong() > max) {
            error(field, "must be between " + min + " and " + max);
            return Optional.empty();
        }
        return Optional.of(value.asInt());
    }

    boolean bool(String field, boolean defaultValue) {
        if (!has(field)) {
            return defaultValue;
        }
        JsonNode value = node.get(field);
        if (!value.isBoolean()) {
            error(field, "must be true or false");
            return defaultValue;
        }
        return value.asBoolean();
    }

    Duration duration(String field, Duration min, Duration max, Duration defaultValue) {
        return optionalDuration(field, min, max).orElse(defaultValue);
    }

    Optional<Duration> optionalDuration(String field, Duration min, Duration max) {
        Optional<String> text = text(field, 64);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Duration value;
        try {
            value = Duration.parse(text.get());
        } catch (DateTimeParseException e) {
            error(field, "must be an ISO-8601 duration such as PT30S");
            return Optional.empty();
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            error(field, "must be between " + min + " and " + max);
            return Optional.empty();
        }
        return Optional.of(value);
    }

    void error(String field, String message) {
        errors.add(new FieldError(path(field), message));
    }

    /** Marks a field as known without reading it (output-only fields a client may echo back). */
    void ignore(String field) {
        read.add(field);
    }

    /** Adds an error for every field of this object that nothing read. */
    void rejectUnknown() {
        if (!node.isObject()) {
            return;
        }
        node.fieldNames().forEachRemaining(name -> {
            if (!read.contains(name)) {
                error(name, "is not a known field");
            }
        });
    }

    private String path(String field) {
        return prefix + field;
    }
}
