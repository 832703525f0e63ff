package io.spindle.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One persistent HTTP/1.1 connection on a plain socket, sending request after request as a keep-alive client
 * does, so a test sees exactly which response ended the connection ({@code Connection: close}) and that nothing
 * reconnects behind its back. Responses are framed by {@code Content-Length} or chunked encoding.
 */
public final class KeepAliveConnection implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** A response as read; header names in lower case. */
    public record Response(int status, Map<String, String> headers, String body) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        /** The rest of a request begun by {@link #sendPart}: sends it and reads the response. */
        @FunctionalInterface
        public interface Pending {
            Response finish() throws IOException;
        }

        /** Whether it carried {@code Connection: close}: the server ends the connection after it. */
        public boolean closes() {
            return header("connection").map(v -> v.toLowerCase(Locale.ROOT).contains("close")).orElse(false);
        }
    }

    private KeepAliveConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static KeepAliveConnection open(int port, Duration timeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            socket.setTcpNoDelay(true);
            return new KeepAliveConnection(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends one request on this connection and reads its response; an I/O error means the connection is gone. */
    public Response send(String method, String path, String json) throws IOException {
        byte[] body = sendHead(method, path, json);
        out.write(body);
        out.flush();
        return read();
    }

    /**
     * Sends a request's head and only the first {@code sent} bytes of its body, so that the server has admitted the
     * request and waits for the rest; {@link #finish} sends the rest and reads the response.
     */
    public Response.Pending sendPart(String method, String path, String json, int sent) throws IOException {
        byte[] body = sendHead(method, path, json);
        out.write(body, 0, sent);
        out.flush();
        return () -> {
            out.write(body, sent, body.length - sent);
            out.flush();
            return read();
        };
    }

    private byte[] sendHead(String method, String path, String json) throws IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (json == null ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + body.length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        return body;
    }

    private Response read() throws IOException {
        String[] lines = line().split(" ", 3);
        if (lines.length < 2) {
            throw new IOException("no status line");
        }
        int status = Integer.parseInt(lines[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            if (colon > 0) {
                headers.merge(header.substring(0, colon).strip().toLowerCase(Locale.ROOT),
                              header.substring(colon + 1).strip(), (a, b) -> a + ", " + b);
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line().strip(), 16); size > 0; size = Integer.parseInt(line().strip(), 16)) {
                body.write(in.readNBytes(size));
                line();
            }
            line();
        } else {
            body.write(in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0"))));
        }
        return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed by the server");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /** Waits (up to the socket's timeout) for the server to close the connection; false if it sent bytes instead. */
    public boolean awaitClosedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
