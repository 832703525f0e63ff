package io.spindle.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;

/**
 * The fallback route of a path: a method the path does not serve gets 405 with {@code Allow}.
 */
final class MethodNotAllowed {
    private MethodNotAllowed() {
    }

    static Handler allow(String methods) {
        return (req, res) -> {
            res.header(HeaderNames.ALLOW, methods);
            ProblemResponses.send(res, Problem.of(405, "Method Not Allowed",
                                                  req.prologue().method().text() + " is not allowed here; use " + methods + "."));
        };
    }
}
