package io.spindle.http;

import io.helidon.http.BadRequestException;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * Parses {@code Accept} before any route does. Helidon 4.5 parses it lazily, where a route (its own metrics
 * endpoint included) first asks, and a malformed value (an unclosed quote) fails there with a
 * StringIndexOutOfBoundsException that would be answered as a 500; parsed here, it is the client's 400.
 */
final class AcceptHeaderCheck implements Filter {
    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        try {
            req.headers().acceptedTypes();
        } catch (RuntimeException e) {
            throw new BadRequestException("The Accept header could not be parsed.");
        }
        chain.proceed();
    }
}
