package io.spindle.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP forwarder on a loopback port that a test can cut and restore, to take a server (PostgreSQL) away
 * from the service under test and give it back on the same address. Each connection is two virtual
 * threads copying bytes.
 */
public final class TcpProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Socket> live = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket listener;
    private volatile int port;
    private volatile boolean closed;
    private volatile boolean frozen;

    private TcpProxy(InetSocketAddress target) {
        this.target = target;
    }

    /** Starts forwarding a free loopback port to {@code host:port}. */
    public static TcpProxy start(String host, int port) {
        TcpProxy proxy = new TcpProxy(new InetSocketAddress(host, port));
        proxy.listen(0);
        return proxy;
    }

    public int port() {
        return port;
    }

    /** Closes the listener and every live connection; new connections are refused until {@link #restore()}. */
    public void cut() {
        lock.lock();
        try {
            closeQuietly(listener);
            listener = null;
            for (Socket socket : live) {
                closeQuietly(socket);
            }
            live.clear();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops moving bytes while keeping every connection open and accepting new ones: a server that hangs, or a
     * network that drops packets, rather than one that refuses. {@link #restore()} ends it.
     */
    public void freeze() {
        frozen = true;
    }

    /**
     * Listens again on the same port and moves bytes again. Connections that lived through a freeze lost bytes,
     * so they are closed, as a healed network would reset them.
     */
    public void restore() {
        lock.lock();
        try {
            if (frozen) {
                for (Socket socket : live) {
                    closeQuietly(socket);
                }
                live.clear();
                frozen = false;
            }
            if (listener == null && !closed) {
                listen(port);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        cut();
    }

    private void listen(int onPort) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 50);
            listener = socket;
            port = socket.getLocalPort();
            Thread.ofVirtual().name("proxy-accept-" + port).start(() -> accept(socket));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + onPort, e);
        }
    }

    private void accept(ServerSocket socket) {
        while (!socket.isClosed()) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                return; // cut or closed
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(target, 5_000);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(upstream);
                continue;
            }
            lock.lock();
            try {
                if (socket != listener) {
                    // cut while this connection was being opened
                    closeQuietly(client);
                    closeQuietly(upstream);
                    return;
                }
                live.add(client);
                live.add(upstream);
            } finally {
                lock.unlock();
            }
            Thread.ofVirtual().start(() -> pump(client, upstream));
            Thread.ofVirtual().start(() -> pump(upstream, client));
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (frozen) {
                    continue; // a frozen link loses what it carries; the connection just goes quiet
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (SocketException e) {
            // closed by cut() or by the other side
        } catch (IOException e) {
            // same: the connection is over
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            live.remove(from);
            live.remove(to);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // already closed
        }
    }
}
