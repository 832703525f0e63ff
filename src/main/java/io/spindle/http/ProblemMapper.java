package io.spindle.http;

import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.http.HttpException;
import io.helidon.http.NotFoundException;
import io.helidon.http.RequestException;
import io.spindle.error.SpindleException;

/**
 * The one place that turns a failure into an HTTP status and a problem document.
 */
public final class ProblemMapper {
    private static final Logger LOG = Logger.getLogger(ProblemMapper.class.getName());

    private ProblemMapper() {
    }

    /** A problem with the headers it needs ({@code Retry-After} for 503). */
    public record Mapped(Problem problem, long retryAfterSeconds) {
    }

    public static Mapped map(Throwable failure) {
        if (failure instanceof SpindleException.RateLimited e) {
            return new Mapped(Problem.of(429, "Too Many Requests", e.getMessage()),
                              Math.max(1, e.retryAfter().toSeconds()));
        }
        if (failure instanceof SpindleException.Unavailable e) {
            return new Mapped(Problem.of(503, "Service Unavailable", e.getMessage()),
                              Math.max(1, e.retryAfter().toSeconds()));
        }
        Problem problem = switch (failure) {
            case SpindleException.Invalid invalid -> new Problem("about:blank", "Bad Request", 400,
                                                                 invalid.getMessage(), invalid.errors());
            case SpindleException.Forbidden e -> Problem.of(403, "Forbidden", e.getMessage());
            case SpindleException.NotFound e -> Problem.of(404, "Not Found", e.getMessage());
            case SpindleException.Conflict e -> Problem.of(409, "Conflict", e.getMessage());
            case SpindleException.TooLarge e -> Problem.of(413, "Content Too Large", e.getMessage());
            case SpindleException.UnsupportedMediaType e -> Problem.of(415, "Unsupported Media Type", e.getMessage());
            case RequestException e -> Problem.of(e.status().code(), e.status().reasonPhrase(),
                                                  e.status().code() == 413
                                                          ? "The request body is larger than the server accepts."
                                                          : "The request could not be read.");
            case NotFoundException e -> Problem.of(404, "Not Found", "No resource at this path.");
            case HttpException e when e.status().code() < 500 ->
                    Problem.of(e.status().code(), e.status().reasonPhrase(), safeDetail(e));
            default -> internalError(failure);
        };
        return new Mapped(problem, 0);
    }

    private static String safeDetail(HttpException e) {
        return e.status().code() == 400 ? "The request could not be read." : e.status().reasonPhrase();
    }

    private static Problem internalError(Throwable failure) {
        String incident = UUID.randomUUID().toString();
        LOG.log(Level.SEVERE, "unexpected failure, incident " + incident, failure);
        return Problem.of(500, "Internal Server Error", "Unexpected failure; incident " + incident + " is logged.");
    }
}
