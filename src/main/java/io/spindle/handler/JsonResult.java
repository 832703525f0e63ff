package io.spindle.handler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Decides whether a response body can be stored as a task's result: one JSON value, UTF-8, that
 * PostgreSQL's {@code jsonb} also accepts. A body it would reject must not reach the store, where it
 * would fail the completion of an attempt that in fact succeeded.
 */
final class JsonResult {
    private static final JsonFactory JSON = JsonFactory.builder().build();
    // PostgreSQL 13 refuses exponents beyond this; later versions overflow numeric not far past 16,000
    private static final int MAX_EXPONENT = 1000;

    private JsonResult() {
    }

    /** The body as JSON text, or empty when it is not JSON that can be stored. */
    static Optional<String> of(byte[] body) {
        if (body.length == 0) {
            return Optional.empty();
        }
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() == null) {
                return Optional.empty();
            }
            int depth = 0;
            do {
                JsonToken token = parser.currentToken();
                switch (token) {
                    case START_OBJECT, START_ARRAY -> depth++;
                    case END_OBJECT, END_ARRAY -> depth--;
                    case FIELD_NAME, VALUE_STRING -> {
                        if (!storableText(parser.getText())) {
                            return Optional.empty();
                        }
                    }
                    case VALUE_NUMBER_FLOAT -> {
                        if (!storableNumber(parser.getText())) {
                            return Optional.empty();
                        }
                    }
                    default -> {
                    }
                }
            } while (depth > 0 && parser.nextToken() != null);
            if (depth != 0 || parser.nextToken() != null) {
                return Optional.empty();
            }
            return Optional.of(new String(body, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** jsonb rejects the escape for NUL and surrogates that do not pair. */
    private static boolean storableText(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\u0000') {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean storableNumber(String text) {
        int e = Math.max(text.indexOf('e'), text.indexOf('E'));
        if (e < 0) {
            return true;
        }
        int digits = e + 1;
        if (text.charAt(digits) == '+' || text.charAt(digits) == '-') {
            digits++;
        }
        while (digits < text.length() - 1 && text.charAt(digits) == '0') {
            digits++;
        }
        String magnitude = text.substring(digits);
        return magnitude.length() <= 4 && Integer.parseInt(magnitude) <= MAX_EXPONENT;
    }
}
