package bench.loadgen;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One keep-alive HTTP/1.1 client connection on a blocking socket: cheap enough that the load generator takes
 * little of the machine's two cores. Not thread-safe: one per client (virtual) thread. After an I/O error the
 * connection is closed and the next request opens a new one (requests are never retried).
 */
final class HttpConn implements Closeable {
    private final String host;
    private final int port;
    private Socket socket;
    private ByteReader in;
    private OutputStream out;

    /** The last response: status code and body ({@code body[0..bodyLength)}). */
    int status;
    byte[] body = new byte[16 * 1024];
    int bodyLength;

    HttpConn(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** One extra header line ("Name: value") sent with every request, or null (--header). */
    static volatile String extraHeader;

    /** The request line and headers of a request with a JSON body of {@code contentLength} bytes (or none if < 0). */
    static byte[] head(String method, String path, String hostPort, int contentLength) {
        StringBuilder sb = new StringBuilder(160);
        sb.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ").append(hostPort).append("\r\n");
        if (extraHeader != null) {
            sb.append(extraHeader).append("\r\n");
        }
        if (contentLength >= 0) {
            sb.append("Content-Type: application/json\r\nContent-Length: ").append(contentLength).append("\r\n");
        }
        sb.append("\r\n");
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Sends one request and reads the whole response; returns the status. */
    int exchange(byte[] head, byte[] requestBody) throws IOException {
        if (socket == null) {
            connect();
        }
        try {
            out.write(head);
            if (requestBody != null) {
                out.write(requestBody);
            }
            out.flush();
            if (readResponse()) {
                close();
            }
            return status;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    String bodyText() {
        return new String(body, 0, bodyLength, StandardCharsets.UTF_8);
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), 5_000);
        s.setSoTimeout(30_000);
        socket = s;
        in = new ByteReader(s.getInputStream(), 32 * 1024);
        out = new BufferedOutputStream(s.getOutputStream(), 32 * 1024);
    }

    /** Reads status line, headers and body; true when the server will close the connection. */
    private boolean readResponse() throws IOException {
        while (true) {
            if (!in.readLine()) {
                throw new EOFException("connection closed before the response");
            }
            byte[] line = in.line;
            if (in.lineLength < 12 || line[0] != 'H') {
                throw new IOException("bad status line: " + in.lineValue(0));
            }
            status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
            long contentLength = -1;
            boolean chunked = false;
            boolean close = false;
            while (true) {
                if (!in.readLine()) {
                    throw new EOFException("connection closed in the headers");
                }
                if (in.lineLength == 0) {
                    break;
                }
                if (in.lineStartsWith("content-length:")) {
                    contentLength = in.lineNumber("content-length:".length());
                } else if (in.lineStartsWith("transfer-encoding:")) {
                    chunked = in.lineValue("transfer-encoding:".length()).toLowerCase().contains("chunked");
                } else if (in.lineStartsWith("connection:")) {
                    close = in.lineValue("connection:".length()).equalsIgnoreCase("close");
                }
            }
            if (status >= 100 && status < 200) {
                continue; // interim response
            }
            bodyLength = 0;
            if (chunked) {
                readChunked();
            } else if (contentLength >= 0) {
                readBody((int) contentLength);
            } else {
                body = in.readToEof(body, 0);
                bodyLength = in.restLength;
                close = true;
            }
            return close;
        }
    }

    private void readChunked() throws IOException {
        while (true) {
            if (!in.readLine()) {
                throw new EOFException("connection closed in a chunk header");
            }
            String size = in.lineValue(0);
            int semicolon = size.indexOf(';');
            int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
            if (n == 0) {
                while (in.readLine() && in.lineLength > 0) {
                    // trailers
                }
                return;
            }
            readBody(n);
            in.readLine(); // CRLF after the chunk
        }
    }

    private void readBody(int n) throws IOException {
        if (bodyLength + n > body.length) {
            body = Arrays.copyOf(body, Math.max(bodyLength + n, body.length * 2));
        }
        in.readFully(body, bodyLength, n);
        bodyLength += n;
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
            in = null;
            out = null;
        }
    }
}
