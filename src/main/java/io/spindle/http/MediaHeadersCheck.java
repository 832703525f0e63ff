package io.spindle.http;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.spindle.error.SpindleException;

/**
 * Parses {@code Accept} and {@code Content-Type} before any route does. Helidon 4.5 parses them lazily, where a
 * route (its own metrics endpoint included) first asks, and a malformed value (an unclosed quoted parameter,
 * {@code a/b; x="}) fails there with a StringIndexOutOfBoundsException that would be answered as a 500; parsed
 * here, it is the client's 400, naming the header. Helidon keeps what it parsed, so routes do not parse again.
 */
final class MediaHeadersCheck implements Filter {
    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        try {
            req.headers().acceptedTypes();
        } catch (RuntimeException e) {
            throw new SpindleException.Invalid("The Accept header could not be parsed.");
        }
        try {
            req.headers().contentType();
        } catch (RuntimeException e) {
            throw new SpindleException.Invalid("The Content-Type header could not be parsed.");
        }
        chain.proceed();
    }
}
