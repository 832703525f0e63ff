package io.spindle.http;

import java.util.Optional;

import io.helidon.webserver.http.ServerRequest;
import io.spindle.error.SpindleException;

/**
 * What a route owes the client rate limit beyond the one permit its request paid on the way in. The limit
 * filter registers one in each request's context; without the filter (tests of the routes alone) there is none.
 */
public interface RequestCharge {

    /**
     * Charges a batch of {@code tasks} (one permit per 100 tasks in all, of which the request paid one) and
     * updates the response's {@code RateLimit} header.
     *
     * @throws SpindleException.RateLimited when the client has not enough permits left
     */
    void batch(int tasks);

    static Optional<RequestCharge> of(ServerRequest req) {
        return req.context().get(RequestCharge.class, RequestCharge.class);
    }
}
