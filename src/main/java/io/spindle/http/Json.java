package io.spindle.http;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.spindle.error.SpindleException;

/**
 * The one JSON codec of the HTTP layer: strict parsing (no trailing tokens, no duplicate keys, bounded
 * nesting) with errors that name the position, and compact writing.
 */
public final class Json {
    /** Deeper documents are refused: nothing Spindle accepts needs more, and deep nesting costs stack. */
    static final int MAX_NESTING = 64;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                                                             .maxNestingDepth(MAX_NESTING)
                                                             .build());
    }

    private Json() {
    }

    /**
     * Parses a request body.
     *
     * @throws SpindleException.Invalid for anything that is not one well-formed JSON document
     */
    public static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw new SpindleException.Invalid("The request body is empty; a JSON document is required.");
        }
        try {
            return MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            JsonLocation where = e.getLocation();
            String position = where == null
                    ? ""
                    : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
            throw new SpindleException.Invalid("Malformed JSON" + position + ": " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new SpindleException.Invalid("Malformed JSON: " + firstLine(e.getMessage()));
        }
    }

    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable input";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
