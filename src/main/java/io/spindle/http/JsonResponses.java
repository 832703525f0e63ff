package io.spindle.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/**
 * Writes successful JSON responses.
 */
final class JsonResponses {
    private JsonResponses() {
    }

    static void send(ServerResponse res, Status status, Object body) {
        sendBytes(res, status, Json.write(body));
    }

    /** A body already written as JSON. */
    static void sendBytes(ServerResponse res, Status status, byte[] json) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(json);
    }
}
