package io.spindle.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/**
 * Writes problem documents as {@code application/problem+json}.
 */
public final class ProblemResponses {
    public static final String MEDIA_TYPE = "application/problem+json";

    private ProblemResponses() {
    }

    public static void send(ServerResponse res, ProblemMapper.Mapped mapped) {
        Problem problem = mapped.problem();
        res.status(Status.create(problem.status()));
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        if (mapped.retryAfterSeconds() > 0) {
            res.header(HeaderNames.RETRY_AFTER, Long.toString(mapped.retryAfterSeconds()));
        }
        res.send(Json.write(problem));
    }

    public static void send(ServerResponse res, Problem problem) {
        send(res, new ProblemMapper.Mapped(problem, 0));
    }
}
