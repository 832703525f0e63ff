package io.spindle.http;

import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Headers a filter sets for every response of a request (the rate-limit headers). Helidon clears a response's
 * headers before the error handler runs, so the error handler puts these back before it writes the problem.
 */
public interface StickyHeaders {

    void applyTo(ServerResponse res);

    /** Registers {@code headers} for the request and applies them now. */
    static void set(ServerRequest req, ServerResponse res, StickyHeaders headers) {
        req.context().register(StickyHeaders.class, headers);
        headers.applyTo(res);
    }

    /** Puts back what a filter registered, if any. */
    static void restore(ServerRequest req, ServerResponse res) {
        req.context().get(StickyHeaders.class, StickyHeaders.class).ifPresent(h -> h.applyTo(res));
    }
}
