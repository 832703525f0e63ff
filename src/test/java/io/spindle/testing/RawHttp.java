package io.spindle.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.1 over a plain socket, for requests that {@link java.net.http.HttpClient} refuses to send (bad methods,
 * raw bytes in the path, contradictory framing, thousands of headers) and for choosing the source address. One
 * request per connection; the response is read by its own framing (length, chunked, or until close) and an event
 * stream is cut after its headers.
 */
public final class RawHttp {
    private static final int MAX_HEAD = 256 * 1024;
    private static final int MAX_BODY = 4 * 1024 * 1024;

    private RawHttp() {
    }

    /** A parsed response; {@code status} is -1 when the server closed without answering. */
    public record Response(int status, Map<String, String> headers, String body, boolean timedOut) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }
    }

    /**
     * Sends {@code request} as it is and reads one response.
     *
     * @param halfClose shut the sending side after the request, so a server waiting for more body sees its end
     */
    public static Response exchange(int port, byte[] request, boolean halfClose, Duration timeout) {
        return exchange(null, port, request, halfClose, timeout);
    }

    /** The same from the local address {@code from} (any 127.x.y.z works on Linux without configuration). */
    public static Response exchange(InetAddress from, int port, byte[] request, boolean halfClose, Duration timeout) {
        try (Socket socket = new Socket()) {
            if (from != null) {
                socket.bind(new InetSocketAddress(from, 0));
            }
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
                if (halfClose) {
                    socket.shutdownOutput();
                }
            } catch (IOException e) {
                // the server may answer and close before reading everything (413, 431); read what it said
            }
            return read(socket.getInputStream(), request);
        } catch (SocketTimeoutException e) {
            return new Response(-1, Map.of(), "", true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Response read(InputStream in, byte[] request) throws IOException {
        boolean head = request.length >= 5 && new String(request, 0, 5, StandardCharsets.ISO_8859_1).equals("HEAD ");
        while (true) {
            String headText;
            try {
                headText = readHead(in);
            } catch (SocketTimeoutException e) {
                return new Response(-1, Map.of(), "", true);
            }
            if (headText == null) {
                return new Response(-1, Map.of(), "", false);
            }
            String[] lines = headText.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            int status = Integer.parseInt(statusLine[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.merge(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                                  lines[i].substring(colon + 1).strip(), (a, b) -> a + ", " + b);
                }
            }
            if (status == 100) {
                continue;
            }
            if (head || status == 204 || status == 304
                    || headers.getOrDefault("content-type", "").startsWith("text/event-stream")) {
                return new Response(status, headers, "", false);
            }
            try {
                return new Response(status, headers, body(in, headers), false);
            } catch (SocketTimeoutException e) {
                return new Response(status, headers, "", true);
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > MAX_HEAD) {
                throw new IOException("response head too long");
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return text.substring(0, text.length() - 4);
    }

    private static String body(InputStream in, Map<String, String> headers) throws IOException {
        String length = headers.get("content-length");
        if (length != null) {
            return new String(in.readNBytes(Math.min(MAX_BODY, Integer.parseInt(length))), StandardCharsets.UTF_8);
        }
        if (headers.getOrDefault("transfer-encoding", "").contains("chunked")) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String size = line(in);
                int n = Integer.parseInt(size.split(";")[0].strip(), 16);
                if (n == 0) {
                    line(in);
                    break;
                }
                body.write(in.readNBytes(n));
                line(in);
                if (body.size() > MAX_BODY) {
                    break;
                }
            }
            return body.toString(StandardCharsets.UTF_8);
        }
        return new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.ISO_8859_1);
    }
}
