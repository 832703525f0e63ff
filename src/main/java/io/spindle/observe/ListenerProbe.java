package io.spindle.observe;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.function.IntSupplier;
import java.util.logging.Logger;

import io.helidon.health.HealthCheck;
import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;

/**
 * Notices a listener that stopped accepting. Helidon 4.5 closes its server socket for good when an accept fails
 * (EMFILE, ENFILE, anything), and the process lives on refusing everyone; the connection bounds keep descriptors
 * below the limit, and this is what catches whatever gets past them. Each run connects to the server's own port
 * and closes at once; only a refused connection {@value #REFUSALS_TO_DIE} runs in a row means the listener is gone
 * (a timeout is a full backlog, not death). Then readiness turns DOWN, one SEVERE line says why, and
 * {@code onDead} runs (the process exits through its shutdown, so an orchestrator restarts it).
 */
public final class ListenerProbe implements HealthCheck, Runnable {
    private static final Logger LOG = Logger.getLogger(ListenerProbe.class.getName());
    /** How often the probe should run. */
    public static final Duration INTERVAL = Duration.ofSeconds(2);
    /** Longer than a loopback connect takes even on a busy machine; a timeout counts as alive (a full backlog). */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
    static final int REFUSALS_TO_DIE = 3;

    private final InetAddress address;
    private final IntSupplier port;
    private final Duration connectTimeout;
    private final Runnable onDead;
    private int refusedInARow;
    private volatile boolean dead;

    /**
     * @param host the listener's {@code server.host}; a wildcard address is probed on loopback
     * @param port the listener's port, read at each run (known once the server has started)
     */
    public ListenerProbe(String host, IntSupplier port, Runnable onDead) {
        this(host, port, CONNECT_TIMEOUT, onDead);
    }

    ListenerProbe(String host, IntSupplier port, Duration connectTimeout, Runnable onDead) {
        this.address = probeAddress(host);
        this.port = port;
        this.connectTimeout = connectTimeout;
        this.onDead = onDead;
    }

    @Override
    public void run() {
        if (dead) {
            return;
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port.getAsInt()), (int) connectTimeout.toMillis());
            refusedInARow = 0;
        } catch (ConnectException e) {
            refusedInARow++;
            if (refusedInARow >= REFUSALS_TO_DIE) {
                dead = true;
                LOG.severe(() -> "the HTTP listener on " + address.getHostAddress() + ":" + port.getAsInt()
                        + " refused " + refusedInARow + " connections in a row: it has stopped accepting (see the "
                        + "listener's error above); readiness is DOWN and Spindle exits so that it is restarted");
                onDead.run();
            }
        } catch (SocketTimeoutException e) {
            refusedInARow = 0; // a full accept backlog: the listener is there, only busy
        } catch (IOException e) {
            // on our side (out of descriptors ourselves): says nothing about the listener
        }
    }

    @Override
    public HealthCheckType type() {
        return HealthCheckType.READINESS;
    }

    @Override
    public String name() {
        return "listener";
    }

    @Override
    public HealthCheckResponse call() {
        return dead
                ? HealthCheckResponse.builder().status(HealthCheckResponse.Status.DOWN)
                        .detail("state", "not accepting connections").build()
                : HealthCheckResponse.builder().status(HealthCheckResponse.Status.UP).build();
    }

    private static InetAddress probeAddress(String host) {
        try {
            InetAddress address = InetAddress.getByName(host);
            return address.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : address;
        } catch (UnknownHostException e) {
            return InetAddress.getLoopbackAddress();
        }
    }
}
