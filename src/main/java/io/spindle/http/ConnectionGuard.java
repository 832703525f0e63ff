package io.spindle.http;

import java.net.InetAddress;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import io.helidon.common.buffers.BufferData;
import io.helidon.http.Headers;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import io.spindle.config.Settings;

/**
 * The listener's one connection selector: HTTP/1.1 as Helidon serves it, behind the bounds of
 * {@code server.connections}. Being the only selector, Helidon hands it each connection right after the accept,
 * before a byte is read, so a connection over the total or its client's bound is closed at once; and its
 * {@link #reap()}, run every few hundred milliseconds, cuts the connections {@link ConnectionRules} condemn.
 */
public final class ConnectionGuard implements ServerConnectionSelector {
    /** How often {@link #reap()} should run: well under the shortest timeout it enforces. */
    public static final java.time.Duration REAP_INTERVAL = java.time.Duration.ofMillis(250);

    private final ServerConnectionSelector http1;
    private final int max;
    private final int acceptLimit;
    private final int perClient;
    private final ConnectionRules rules;
    private final ConnectionMetrics metrics;
    private final LongSupplier clock;
    private final byte[] headerTimeoutAnswer;
    private final byte[] slowBodyAnswer;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private final Set<GuardedConnection> tracked = ConcurrentHashMap.newKeySet();

    private ConnectionGuard(Settings.Connections settings, ConnectionBudget budget, ConnectionMetrics metrics,
                            LongSupplier clock) {
        this.max = budget.max();
        this.acceptLimit = budget.acceptLimit();
        this.perClient = settings.perClient();
        this.rules = ConnectionRules.of(settings);
        this.metrics = metrics;
        this.clock = clock;
        this.headerTimeoutAnswer = GuardedConnection.timeoutResponse(
                "the request's line and headers did not arrive within " + settings.headerTimeout());
        this.slowBodyAnswer = GuardedConnection.timeoutResponse(
                "the request's body arrived slower than " + settings.minBodyRate() + " bytes per second");
        Http1Config config = Http1Config.builder()
                .name("http_1_1")
                .addReceiveListener(new Http1ConnectionListener() {
                    @Override
                    public void headers(ConnectionContext ctx, Headers headers) {
                        if (ctx instanceof ObservedContext observed) {
                            observed.connection().headersReceived(headers);
                        }
                    }
                })
                .addSendListener(new Http1ConnectionListener() {
                    @Override
                    public void status(ConnectionContext ctx, Status status) {
                        if (ctx instanceof ObservedContext observed) {
                            observed.connection().statusSent();
                        }
                    }
                })
                .build();
        this.http1 = Http1ConnectionSelector.builder().config(config).build();
        metrics.gauges(open::get, () -> max);
    }

    public static ConnectionGuard create(Settings.Connections settings, ConnectionBudget budget, ConnectionMetrics metrics) {
        return new ConnectionGuard(settings, budget, metrics, System::nanoTime);
    }

    /** Helidon's {@code max-tcp-connections}: the backstop above the bound (see {@link ConnectionBudget}). */
    int acceptLimit() {
        return acceptLimit;
    }

    /** Connections open and admitted now. */
    public int open() {
        return open.get();
    }

    /** Cuts every connection the rules condemn now; each is answered and closed on a thread of its own. */
    public void reap() {
        long now = clock.getAsLong();
        for (GuardedConnection connection : tracked) {
            Optional<ConnectionRules.Reason> cut = connection.check(rules, now);
            cut.ifPresent(reason -> {
                metrics.reaped(reason);
                byte[] answer = reason == ConnectionRules.Reason.SLOW_BODY ? slowBodyAnswer : headerTimeoutAnswer;
                // a client that reads nothing must not hold up the reaper in a write
                Thread.ofVirtual().name("connection-cut").start(() -> connection.answerAndClose(reason, answer));
            });
        }
    }

    boolean admit(GuardedConnection connection) {
        InetAddress address = connection.remoteAddress();
        boolean[] underClientBound = {true};
        perAddress.compute(address, (key, count) -> {
            int current = count == null ? 0 : count;
            if (current >= perClient) {
                underClientBound[0] = false;
                return count;
            }
            return current + 1;
        });
        if (!underClientBound[0]) {
            metrics.refusedPerClient();
            return false;
        }
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            releaseAddress(address);
            metrics.refusedAtLimit();
            return false;
        }
        tracked.add(connection);
        return true;
    }

    void release(GuardedConnection connection) {
        tracked.remove(connection);
        open.decrementAndGet();
        releaseAddress(connection.remoteAddress());
    }

    private void releaseAddress(InetAddress address) {
        perAddress.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
    }

    @Override
    public int bytesToIdentifyConnection() {
        return http1.bytesToIdentifyConnection();
    }

    @Override
    public Support supports(BufferData data) {
        return http1.supports(data);
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return http1.supportedApplicationProtocols();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new GuardedConnection(ctx, http1, this, clock);
    }
}
