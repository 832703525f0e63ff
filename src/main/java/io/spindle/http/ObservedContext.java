package io.spindle.http;

import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;

/**
 * Helidon's context of one accepted connection, with a reader of our own over the socket, so that the guard sees
 * every read the connection makes (Helidon 4.5 keeps a receive listener on its reader but never calls its
 * {@code data}). It also names the {@link GuardedConnection}, which the HTTP/1 listeners find through it.
 */
final class ObservedContext implements ConnectionContext {
    private final ConnectionContext delegate;
    private final GuardedConnection connection;
    private final DataReader reader;

    ObservedContext(ConnectionContext delegate, GuardedConnection connection, Supplier<byte[]> reads) {
        this.delegate = delegate;
        this.connection = connection;
        this.reader = DataReader.create(reads);
    }

    GuardedConnection connection() {
        return connection;
    }

    @Override
    public DataReader dataReader() {
        return reader;
    }

    @Override
    public ListenerContext listenerContext() {
        return delegate.listenerContext();
    }

    @Override
    public ExecutorService executor() {
        return delegate.executor();
    }

    @Override
    public DataWriter dataWriter() {
        return delegate.dataWriter();
    }

    @Override
    public Router router() {
        return delegate.router();
    }

    @Override
    public Optional<ProxyProtocolData> proxyProtocolData() {
        return delegate.proxyProtocolData();
    }

    @Override
    public HelidonSocket serverSocket() {
        return delegate.serverSocket();
    }

    @Override
    public PeerInfo remotePeer() {
        return delegate.remotePeer();
    }

    @Override
    public PeerInfo localPeer() {
        return delegate.localPeer();
    }

    @Override
    public boolean isSecure() {
        return delegate.isSecure();
    }

    @Override
    public String socketId() {
        return delegate.socketId();
    }

    @Override
    public String childSocketId() {
        return delegate.childSocketId();
    }
}
