package io.spindle.http;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HttpException;
import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.webserver.http.ServerRequest;
import io.spindle.error.SpindleException;

/**
 * Reads a JSON request body. The server has already refused bodies over {@code server.max-payload}.
 */
final class RequestBodies {
    private RequestBodies() {
    }

    static JsonNode json(ServerRequest req) {
        Optional<HttpMediaType> type = contentType(req);
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
        } catch (RuntimeException e) {
            // a body cut short by the client, or broken chunked framing: not our failure
            throw new SpindleException.Invalid("The request body could not be read: it ended early or its framing is malformed.");
        }
        return Json.parse(body);
    }

    /**
     * Helidon parses {@code Content-Type} when it is first asked for; since 4.5 most malformed values fail as a
     * {@link io.helidon.http.BadRequestException}, but an unclosed quoted parameter ({@code a/b; x="}) still
     * escapes as a {@link StringIndexOutOfBoundsException}. Both are the client's mistake.
     */
    private static Optional<HttpMediaType> contentType(ServerRequest req) {
        try {
            return req.headers().contentType();
        } catch (RuntimeException e) {
            throw new SpindleException.Invalid("The Content-Type header could not be parsed.");
        }
    }

    private static boolean isJson(HttpMediaType type) {
        String subtype = type.mediaType().subtype();
        return "application".equals(type.mediaType().type())
                && ("json".equals(subtype) || subtype.endsWith("+json"));
    }
}
