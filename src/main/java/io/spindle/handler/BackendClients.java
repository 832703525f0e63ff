package io.spindle.handler;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

import io.helidon.common.socket.SocketOptions;
import io.helidon.webclient.api.Proxy;
import io.helidon.webclient.api.WebClient;

/**
 * The WebClients that deliver HTTP tasks, each with its own keep-alive pool of at most
 * {@value #IDLE_CONNECTIONS} idle connections per backend. Helidon 4.1 takes the connect timeout from the
 * client, not the request, so there is one client per connect-timeout step, created on first use.
 */
final class BackendClients implements AutoCloseable {
    static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final int IDLE_CONNECTIONS = 256;
    private static final List<Duration> STEPS = List.of(Duration.ofMillis(10), Duration.ofMillis(50),
                                                        Duration.ofMillis(100), Duration.ofMillis(250),
                                                        Duration.ofMillis(500), Duration.ofSeconds(1),
                                                        Duration.ofSeconds(2), MAX_CONNECT_TIMEOUT);
    // the read timeout is set on every request; a fixed one here keeps one pool per backend, not per timeout
    private static final Duration CLIENT_READ_TIMEOUT = Duration.ofSeconds(30);

    private final AtomicReferenceArray<WebClient> clients = new AtomicReferenceArray<>(STEPS.size());
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReentrantLock creating = new ReentrantLock();

    /** The client whose connect timeout is the longest step within min(requestTimeout, 5 s). */
    WebClient forTimeout(Duration requestTimeout) {
        int step = step(requestTimeout);
        WebClient client = clients.get(step);
        if (client != null) {
            return client;
        }
        if (closed.get()) {
            throw new IllegalStateException("the HTTP task handler is closed");
        }
        // One creator at a time, the others parked on the lock: building a client loads and initialises
        // classes, which pins a virtual thread to its carrier; a burst of first deliveries all building
        // clients at once pinned every carrier while the thread holding the jar's lock waited for one (seen
        // as a hung test JVM).
        creating.lock();
        try {
            client = clients.get(step);
            if (client != null) {
                return client;
            }
            if (closed.get()) {
                throw new IllegalStateException("the HTTP task handler is closed");
            }
            WebClient created = create(STEPS.get(step));
            clients.set(step, created);
            if (closed.get()) {
                // close() may have swept the array before our write landed
                created.closeResource();
                throw new IllegalStateException("the HTTP task handler is closed");
            }
            return created;
        } finally {
            creating.unlock();
        }
    }

    static Duration connectTimeout(Duration requestTimeout) {
        return STEPS.get(step(requestTimeout));
    }

    private static int step(Duration requestTimeout) {
        int step = 0;
        while (step + 1 < STEPS.size() && STEPS.get(step + 1).compareTo(requestTimeout) <= 0) {
            step++;
        }
        return step;
    }

    private static WebClient create(Duration connectTimeout) {
        return WebClient.builder()
                .shareConnectionCache(false)
                .connectionCacheSize(IDLE_CONNECTIONS)
                .connectTimeout(connectTimeout)
                .readTimeout(CLIENT_READ_TIMEOUT)
                .keepAlive(true)
                // without it a request written in two parts waits for the backend's delayed ACK
                .socketOptions(SocketOptions.builder().tcpNoDelay(true).build())
                .proxy(Proxy.noProxy()) // backends are addressed directly; no proxy lookup per request
                .followRedirects(false)
                .sendExpectContinue(false)
                .build();
    }

    /** Closes every pooled connection; later requests fail instead of opening new ones. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (int i = 0; i < clients.length(); i++) {
            WebClient client = clients.getAndSet(i, null);
            if (client != null) {
                client.closeResource();
            }
        }
    }
}
