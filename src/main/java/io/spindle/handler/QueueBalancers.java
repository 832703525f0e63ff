package io.spindle.handler;

import java.net.URI;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import io.helidon.common.uri.UriEncoding;
import io.spindle.task.HandlerSpec;

/**
 * The balancer of each HTTP queue, kept across tasks (its backends' breakers are kept by {@link BackendBreakers}). At most
 * {@value #MAX_QUEUES} are kept; past that, arbitrary entries are evicted, which only forgets recent
 * failures (deleted queues leave entries behind until then).
 */
final class QueueBalancers {
    static final int MAX_QUEUES = 10_000;

    private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();
    private final BackendBreakers breakers;
    private final int maxQueues;

    QueueBalancers(BackendBreakers breakers) {
        this(breakers, MAX_QUEUES);
    }

    QueueBalancers(BackendBreakers breakers, int maxQueues) {
        this.breakers = breakers;
        this.maxQueues = maxQueues;
    }

    /** The queue's route, built anew when its backends or path changed since the last call. */
    Route route(String queue, HandlerSpec.Http spec) {
        Route route = routes.get(queue);
        if (route != null && route.serves(spec)) {
            return route;
        }
        Route built = build(queue, spec); // outside the map's lock: a new breaker registers its meters
        Route fresh = routes.compute(queue, (name, old) -> old != null && old.serves(spec) ? old : built);
        if (route == null && routes.size() > maxQueues) {
            evictOtherThan(queue);
        }
        return fresh;
    }

    int size() {
        return routes.size();
    }

    private void evictOtherThan(String keep) {
        Iterator<String> names = routes.keySet().iterator();
        while (routes.size() > maxQueues && names.hasNext()) {
            if (!names.next().equals(keep)) {
                names.remove();
            }
        }
    }

    private Route build(String queue, HandlerSpec.Http spec) {
        List<URI> endpoints = spec.backends().stream().map(backend -> endpoint(backend, spec.path())).toList();
        return new Route(spec.backends(), spec.path(),
                         new Balancer(spec.backends(), endpoints, backend -> breakers.of(queue, backend)));
    }

    /** {@code backend} + {@code path}; a path that is not valid URI text is percent-encoded as Helidon would. */
    static URI endpoint(URI backend, String path) {
        String base = backend.toString();
        if (base.endsWith("/") && path.startsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        String text = base + path;
        try {
            return URI.create(text);
        } catch (IllegalArgumentException e) {
            return URI.create(UriEncoding.encodeUri(text));
        }
    }

    /** A queue's backends and path as last seen, and the balancer over their endpoints. */
    record Route(List<URI> backends, String path, Balancer balancer) {
        boolean serves(HandlerSpec.Http spec) {
            return backends.equals(spec.backends()) && path.equals(spec.path());
        }
    }
}
