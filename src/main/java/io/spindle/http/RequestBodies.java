package io.spindle.http;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HttpException;
import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerRequest;
import io.spindle.error.SpindleException;

/**
 * Reads a JSON request body. The server has already refused bodies over {@code server.max-payload}.
 */
final class RequestBodies {
    private RequestBodies() {
    }

    static JsonNode json(ServerRequest req) {
        Optional<HttpMediaType> type = req.headers().contentType(); // parsed and checked by MediaHeadersCheck
        if (type.isPresent() && !isJson(type.get())) {
            throw new SpindleException.UnsupportedMediaType(
                    "The body must be application/json, not " + type.get().mediaType().text() + ".");
        }
        if (!req.content().hasEntity()) {
            throw new SpindleException.Invalid("The request body is empty; a JSON document is required.");
        }
        byte[] body;
        try {
            body = req.content().as(byte[].class);
        } catch (HttpException | RequestException e) {
            throw e; // 413 and the like, mapped as they are
        } catch (CloseConnectionException e) {
            throw e; // the connection guard cut a slow body and answered 408 itself: nothing more to say
        } catch (RuntimeException e) {
            // a body cut short by the client, or broken chunked framing: not our failure
            throw new SpindleException.Invalid("The request body could not be read: it ended early or its framing is malformed.");
        }
        return Json.parse(body);
    }

    private static boolean isJson(HttpMediaType type) {
        String subtype = type.mediaType().subtype();
        return "application".equals(type.mediaType().type())
                && ("json".equals(subtype) || subtype.endsWith("+json"));
    }
}
