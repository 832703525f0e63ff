package io.spindle.http;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.ServerRequest;
import io.spindle.task.SpindleException;

/**
 * Reads a JSON request body. The server has already refused bodies over {@code server.max-payload}.
 */
final class RequestBodies {
    private RequestBodies() {
    }

    static JsonNode json(ServerRequest req) {
        Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isPresent() && !isJson(type.get())) {
            throw new SpindleException.UnsupportedMediaType(
                    "The body must be application/json, not " + type.get().mediaType().text() + ".");
        }
        if (!req.content().hasEntity()) {
            throw new SpindleException.Invalid("The request body is empty; a JSON document is required.");
        }
        return Json.parse(req.content().as(byte[].class));
    }

    private static boolean isJson(HttpMediaType type) {
        String subtype = type.mediaType().subtype();
        return "application".equals(type.mediaType().type())
                && ("json".equals(subtype) || subtype.endsWith("+json"));
    }
}
