package io.spindle.http;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;

/**
 * Answers what the server refuses before routing (unparseable requests, oversized bodies or headers)
 * with a problem document instead of Helidon's plain text.
 */
public final class ProblemDirectHandler implements DirectHandler {

    @Override
    public TransportResponse handle(TransportRequest request,
                                    EventType eventType,
                                    Status status,
                                    ServerResponseHeaders headers,
                                    String message) {
        if (status.code() == 500 && request == TransportRequest.empty()) {
            // failed before the request line was parsed (e.g. a method with illegal characters): the client's fault
            status = Status.BAD_REQUEST_400;
        }
        String detail = switch (status.code()) {
            case 413 -> "The request body is larger than the server accepts.";
            case 431 -> "The request headers are larger than the server accepts.";
            case 414 -> "The request line is longer than the server accepts.";
            case 400 -> "The request could not be parsed as HTTP.";
            default -> status.reasonPhrase();
        };
        Problem problem = Problem.of(status.code(), status.reasonPhrase(), detail);
        headers.set(HeaderNames.CONTENT_TYPE, ProblemResponses.MEDIA_TYPE);
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .entity(Json.write(problem))
                .build();
    }
}
