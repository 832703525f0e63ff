package io.spindle.http;

import java.util.Optional;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;

/**
 * Answers what the server refuses before routing (unparseable requests, body framing it will not read, oversized
 * bodies or headers, HTTP/1.0) with a problem document instead of Helidon's plain text. Helidon hands a direct
 * handler only a generic message for these, so the detail is told from the status and the request's headers.
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
            case 400 -> framingDetail(request.headers()).orElse("The request could not be parsed as HTTP.");
            default -> status.reasonPhrase();
        };
        if (eventType == EventType.HTTP_VERSION_NOT_SUPPORTED) {
            // Helidon 4.5 answers HTTP/1.0 with 505; a client's choice of version is its mistake (SPEC §7: no 5xx)
            status = Status.BAD_REQUEST_400;
            detail = "HTTP/1.0 is not supported; use HTTP/1.1.";
        }
        Problem problem = Problem.of(status.code(), status.reasonPhrase(), detail);
        headers.set(HeaderNames.CONTENT_TYPE, ProblemResponses.MEDIA_TYPE);
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .entity(Json.write(problem))
                .build();
    }

    /** What is wrong with the body framing Helidon refused (it checks it before routing since 4.5). */
    private static Optional<String> framingDetail(Headers headers) {
        boolean length = headers.contains(HeaderNames.CONTENT_LENGTH);
        if (length && headers.contains(HeaderNames.TRANSFER_ENCODING)) {
            return Optional.of("Content-Length and Transfer-Encoding must not be combined.");
        }
        if (length) {
            try {
                headers.contentLength();
            } catch (IllegalArgumentException e) {
                return Optional.of("Content-Length must be one non-negative decimal number.");
            }
        }
        if (headers.contains(HeaderNames.TRANSFER_ENCODING)) {
            return Optional.of("Transfer-Encoding must be chunked, applied once.");
        }
        return Optional.empty();
    }
}
