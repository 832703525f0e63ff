package io.spindle.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.security.Client;
import io.spindle.security.Role;
import io.spindle.security.StreamTokens;

/**
 * {@code POST /v1/stream-tokens}: a short-lived token that opens event streams as the calling key, for browsers
 * (EventSource sends no headers), with the key's name and roles so a page can show only what the key may do.
 * Anonymous access needs no token: {@code token} is null.
 */
public final class StreamTokenRoutes implements HttpService {
    private final StreamTokens tokens;

    public StreamTokenRoutes(StreamTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::mint)
                .any("/", MethodNotAllowed.allow("POST"));
    }

    private void mint(ServerRequest req, ServerResponse res) {
        Client client = req.context().get(Client.class, Client.class)
                .orElseThrow(() -> new IllegalStateException("the security filter identifies every /v1 client"));
        ObjectNode body = Json.mapper().createObjectNode();
        client.keyName().ifPresentOrElse(name -> {
            StreamTokens.Minted minted = tokens.mint(name);
            body.put("token", minted.token());
            body.put("expiresAt", minted.expiresAt().toString());
            body.put("key", name);
        }, () -> {
            body.putNull("token");
            body.putNull("expiresAt");
            body.putNull("key");
        });
        var roles = body.putArray("roles");
        client.roles().stream().map(Role::configName).sorted().forEach(roles::add);
        JsonResponses.send(res, Status.OK_200, body);
    }
}
