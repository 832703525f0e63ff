package io.spindle.http;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.helidon.http.Header;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.config.Settings;
import io.spindle.error.SpindleException;
import io.spindle.security.AccessPolicy;
import io.spindle.security.ApiKeys;
import io.spindle.security.Audit;
import io.spindle.security.Client;
import io.spindle.security.ClientLimits;
import io.spindle.security.Role;
import io.spindle.security.SecurityMetrics;
import io.spindle.security.StreamTokens;

/**
 * Guards every {@code /v1} request (health and metrics stay open): identifies the client (its API key, or its
 * address when no key is configured or the key is missing or wrong), charges the client's rate limit, then
 * refuses a missing or unknown key (401) and a missing role (403), and bounds the client's open event streams.
 * The rate limit comes before the 401, so guessing keys is rate limited by address like everything else.
 * Every {@code /v1} response carries {@code RateLimit-Policy} and {@code RateLimit}; every refusal is one audit line.
 */
public final class SecurityFilter implements Filter {
    static final HeaderName RATE_LIMIT = HeaderNames.create("RateLimit");
    static final HeaderName RATE_LIMIT_POLICY = HeaderNames.create("RateLimit-Policy");
    private static final Header CHALLENGE = HeaderValues.createCached(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"spindle\"");
    private static final Header INVALID_TOKEN = HeaderValues.createCached(
            HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"spindle\", error=\"invalid_token\"");

    /** The query parameter that carries a stream token (RFC 6750's name for a bearer token in a URI). */
    static final String ACCESS_TOKEN = "access_token";

    private final ApiKeys keys;
    private final StreamTokens tokens;
    private final ClientLimits limits;
    private final SecurityMetrics metrics;
    private final Header policy;

    SecurityFilter(ApiKeys keys, ClientLimits limits) {
        this.keys = keys;
        this.tokens = new StreamTokens(keys, Clock.systemUTC());
        this.limits = limits;
        this.metrics = limits.metrics();
        this.policy = HeaderValues.createCached(RATE_LIMIT_POLICY, limits.policyHeader());
    }

    /** Mints stream tokens under the same keys this filter accepts. */
    public StreamTokens tokens() {
        return tokens;
    }

    public static SecurityFilter create(Settings.Security security, ClientLimits limits) {
        return new SecurityFilter(ApiKeys.of(security), limits);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (!path.startsWith("/v1/") && !path.equals("/v1")) {
            chain.proceed();
            return;
        }
        AccessPolicy.Route route = AccessPolicy.classify(req.prologue().method().text(), path);
        Client client;
        ApiKeys.Result.Refused refused = null;
        if (keys.isEmpty()) {
            client = Client.anonymous(address(req));
        } else {
            List<String> authorization = req.headers().all(HeaderNames.AUTHORIZATION, List::of);
            switch (authenticate(authorization, route, req)) {
                case ApiKeys.Result.Accepted accepted -> client = Client.key(accepted.name(), accepted.roles());
                case ApiKeys.Result.Refused r -> {
                    refused = r;
                    client = Client.unauthenticated(address(req));
                }
            }
        }
        if (limits.enabled()) {
            ClientLimits.Decision decision = limits.acquire(client.id(), 1);
            Charge charge = new Charge(client, route, res, decision);
            StickyHeaders.set(req, res, charge);
            if (!decision.permitted()) {
                Audit.refused(429, client.id(), route.pattern(), "rate limit exceeded");
                send(res, 429, "Too Many Requests", "This client has used its " + limits.quota() + "; retry later.",
                     decision.retryAfterSeconds());
                return;
            }
            req.context().register(RequestCharge.class, charge);
        }
        if (refused != null) {
            Audit.refused(401, client.id(), route.pattern(), refused.reason());
            metrics.unauthenticated();
            res.header(refused.invalidToken() ? INVALID_TOKEN : CHALLENGE);
            send(res, 401, "Unauthorized", "A valid API key is required: send Authorization: Bearer <key>.", 0);
            return;
        }
        if (!route.access().allows(client.roles())) {
            String needs = String.join(" or ", route.access().roles().stream().map(Role::configName).sorted().toList());
            Audit.refused(403, client.id(), route.pattern(), "needs role " + needs);
            metrics.forbidden();
            send(res, 403, "Forbidden", "This key may not " + route.pattern() + "; that needs the role " + needs + ".", 0);
            return;
        }
        req.context().register(Client.class, client);
        if (!route.stream()) {
            chain.proceed();
            return;
        }
        Optional<ClientLimits.StreamSlot> slot = limits.openStream(client.id());
        if (slot.isEmpty()) {
            Audit.refused(429, client.id(), route.pattern(), "too many open streams");
            send(res, 429, "Too Many Requests", "This client has the most event streams open that it may; "
                    + "close one first.", 1);
            return;
        }
        try (ClientLimits.StreamSlot open = slot.get()) {
            chain.proceed();
        }
    }

    /**
     * The request's key: its bearer token, or for a stream opened without one (a browser's EventSource) its
     * {@code access_token} query parameter, a stream token (docs/security.md#stream-tokens).
     */
    private ApiKeys.Result authenticate(List<String> authorization, AccessPolicy.Route route, RoutingRequest req) {
        if (authorization.isEmpty() && route.stream()) {
            Optional<String> token = req.query().first(ACCESS_TOKEN).asOptional();
            if (token.isPresent()) {
                return tokens.verify(token.get()).map(ApiKeys.Result.class::cast)
                        .orElseGet(() -> new ApiKeys.Result.Refused("unknown or expired stream token", true));
            }
        }
        return keys.authenticate(authorization);
    }

    private static void send(ServerResponse res, int status, String title, String detail, long retryAfterSeconds) {
        ProblemResponses.send(res, new ProblemMapper.Mapped(Problem.of(status, title, detail), retryAfterSeconds));
    }

    /** The peer's IP address: what identifies an anonymous client. Forwarding headers are not trusted. */
    private static String address(ServerRequest req) {
        SocketAddress peer = req.remotePeer().address();
        if (peer instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(peer);
    }

    /**
     * What one request was charged, as its rate-limit headers say (kept so that an error response carries them
     * too), and the rest of a batch's cost, charged by the route once it knows how many tasks the batch holds.
     */
    private final class Charge implements RequestCharge, StickyHeaders {
        private static final int TASKS_PER_PERMIT = 100;
        private final Client client;
        private final AccessPolicy.Route route;
        private final ServerResponse res;
        private String rateLimit;

        Charge(Client client, AccessPolicy.Route route, ServerResponse res, ClientLimits.Decision decision) {
            this.client = client;
            this.route = route;
            this.res = res;
            this.rateLimit = ClientLimits.header(decision);
        }

        @Override
        public void applyTo(ServerResponse response) {
            response.header(policy);
            response.header(RATE_LIMIT, rateLimit);
        }

        @Override
        public void batch(int tasks) {
            int cost = Math.max(1, (tasks + TASKS_PER_PERMIT - 1) / TASKS_PER_PERMIT);
            // the whole charge is capped at one period's permits (the request already paid one of them),
            // so that a batch larger than the limit is possible at all in a fresh window
            int rest = Math.min(cost, limits.permitsPerPeriod()) - 1;
            if (rest <= 0) {
                return;
            }
            ClientLimits.Decision decision = limits.acquire(client.id(), rest);
            rateLimit = ClientLimits.header(decision);
            applyTo(res);
            if (!decision.permitted()) {
                Audit.refused(429, client.id(), route.pattern(), "rate limit exceeded by a batch of " + tasks + " tasks");
                throw new SpindleException.RateLimited("A batch of " + tasks + " tasks costs " + cost
                        + " permits; this client has " + decision.remaining() + " left in this window.",
                        Duration.ofSeconds(decision.retryAfterSeconds()));
            }
        }
    }
}
