package io.spindle.http;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.spindle.error.SpindleException.FieldError;

/**
 * An RFC 9457 problem document, the body of every error response.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Problem(String type, String title, int status, String detail, List<FieldError> errors) {

    public static Problem of(int status, String title, String detail) {
        return new Problem("about:blank", title, status, detail, List.of());
    }
}
