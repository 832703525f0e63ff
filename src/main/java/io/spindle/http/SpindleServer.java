package io.spindle.http;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.DirectHandler;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.spindle.config.Settings;

/**
 * Builds the Helidon WebServer: one virtual thread per request, problem+json for every error (failures
 * of handlers and of routing through the error handler, refusals before routing through direct handlers), and no shutdown hook of its own (the Lifecycle stops it).
 */
public final class SpindleServer {
    private SpindleServer() {
    }

    /**
     * @param filters run in order after the metrics filter (which so counts their refusals too), before
     *                routing: authentication and client rate limits
     * @param connections the listener's only connection selector (HTTP/1.1 behind the connection bounds); the
     *                    protocols Helidon would discover are left out, else it would read a connection's first
     *                    bytes to choose between them before the guard saw it
     */
    public static WebServer create(Settings.Server settings,
                                   ConnectionGuard connections,
                                   Duration shutdownGrace,
                                   ObserveFeature observe,
                                   Filter metricsFilter,
                                   List<Filter> filters,
                                   Consumer<HttpRouting.Builder> routes) {
        DirectHandlers.Builder direct = DirectHandlers.builder();
        ProblemDirectHandler problems = new ProblemDirectHandler();
        for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
            direct.addHandler(type, problems);
        }
        return WebServer.builder()
                .host(settings.host())
                .port(settings.port())
                .maxPayloadSize(settings.maxPayload())
                .protocolsDiscoverServices(false)
                .addConnectionSelector(connections)
                .maxTcpConnections(connections.acceptLimit())
                // Helidon leaves Nagle on: a small response or SSE event would wait for the client's delayed ACK
                .connectionOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .shutdownHook(false)
                .shutdownGracePeriod(shutdownGrace)
                .featuresDiscoverServices(false)
                .addFeature(observe)
                .addFeature(WebContent.pages())
                .addFeature(WebContent.openApi())
                .directHandlers(direct.build())
                .routing(routing -> {
                    routing.addFilter(metricsFilter);
                    filters.forEach(routing::addFilter);
                    routing.addFilter(new MediaHeadersCheck()); // after the gate and security: their refusals come first
                    routing.addFilter(WebContent.headers());
                    routing.error(Throwable.class, (req, res, failure) -> {
                        if (!res.isSent()) {
                            StickyHeaders.restore(req, res);
                            ProblemResponses.send(res, ProblemMapper.map(failure));
                        }
                    });
                    routes.accept(routing);
                })
                .build();
    }
}
