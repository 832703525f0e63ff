package io.spindle.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Asserts that a response is an RFC 9457 problem document of the kind SPEC §7 promises.
 */
public final class Problems {
    private Problems() {
    }

    /** Asserts status, {@code application/problem+json} and the four standard members; returns the body. */
    public static JsonNode assertProblem(HttpResponse<String> response, int status) {
        String what = response.request().method() + " " + response.request().uri().getRawPath();
        return assertProblem(what, response.statusCode(), response.headers().firstValue("Content-Type"),
                             response.body(), status);
    }

    /** The same for a response read by other means than {@link java.net.http.HttpClient}. */
    public static JsonNode assertProblem(String request, int actualStatus, Optional<String> contentType, String body,
                                         int status) {
        String what = request + " -> " + actualStatus + " " + body;
        assertThat(actualStatus).as(what).isEqualTo(status);
        assertThat(contentType).as(what)
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        JsonNode problem = Json.parse(body);
        assertThat(problem.path("type").isTextual()).as(what + ": type").isTrue();
        assertThat(problem.path("title").asText()).as(what + ": title").isNotBlank();
        assertThat(problem.path("status").isInt()).as(what + ": status").isTrue();
        assertThat(problem.path("status").asInt()).as(what + ": status").isEqualTo(status);
        assertThat(problem.path("detail").asText()).as(what + ": detail").isNotBlank();
        assertThat(body).as(what + ": no stack trace or SQL")
                .doesNotContain("\tat ", "Exception", "SELECT ", "INSERT ", "UPDATE ", "DELETE FROM");
        return problem;
    }

    /**
     * Asserts a validation 400 whose {@code errors} list names every one of {@code fields}, each with a message.
     */
    public static JsonNode assertInvalid(HttpResponse<String> response, String... fields) {
        JsonNode problem = assertProblem(response, 400);
        JsonNode errors = problem.path("errors");
        assertThat(errors.isArray()).as("errors list in %s", response.body()).isTrue();
        assertThat(errors.size()).as("errors list in %s", response.body()).isPositive();
        for (JsonNode error : errors) {
            assertThat(error.path("field").isTextual()).as("field of %s", error).isTrue();
            assertThat(error.path("message").asText()).as("message of %s", error).isNotBlank();
        }
        var named = new java.util.ArrayList<String>();
        errors.forEach(error -> named.add(error.path("field").asText()));
        if (fields.length > 0) {
            assertThat(named).as("fields named in %s", response.body()).contains(fields);
        }
        return problem;
    }
}
