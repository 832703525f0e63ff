package io.spindle.bus;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal SSE client on a plain socket, so tests control the connection exactly: it can stop reading (a
 * slow client), or close the socket (a client that goes away). A virtual thread decodes the chunked response
 * and parses events into a queue, unless the client was opened not to read.
 */
final class SseClient implements AutoCloseable {
    /** One received event; {@code id} is null when the event had none. */
    record Received(String id, String event, String data) {
    }

    private static final Received END = new Received(null, "<end>", null);

    private final Socket socket;
    private final InputStream in;
    private final int status;
    private final String headers;
    private final String errorBody;
    private final LinkedBlockingQueue<Received> events = new LinkedBlockingQueue<>();
    private final AtomicInteger comments = new AtomicInteger();
    private volatile Thread reader;

    private SseClient(Socket socket, InputStream in, int status, String headers, String errorBody, boolean read) {
        this.socket = socket;
        this.in = in;
        this.status = status;
        this.headers = headers;
        this.errorBody = errorBody;
        this.reader = status == 200 && read ? Thread.ofVirtual().name("sse-client").start(this::read) : null;
    }

    static SseClient open(int port, String path, String lastEventId) {
        return open(port, path, lastEventId, true, 0);
    }

    /**
     * @param read        false for a client that never reads past the response headers
     * @param receiveBuffer the socket's receive buffer in bytes (0: the default); small makes a slow client's
     *                      backlog reach the server sooner
     */
    static SseClient open(int port, String path, String lastEventId, boolean read, int receiveBuffer) {
        Socket socket = new Socket();
        try {
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: text/event-stream\r\n"
                    + (lastEventId == null ? "" : "Last-Event-ID: " + lastEventId + "\r\n") + "\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream(), read ? 8192 : 64);
            String statusLine = line(in);
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            StringBuilder headers = new StringBuilder();
            int contentLength = -1;
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                headers.append(header.toLowerCase(Locale.ROOT)).append('\n');
                if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    contentLength = Integer.parseInt(header.substring(15).strip());
                }
            }
            String body = null;
            if (status != 200) {
                body = contentLength >= 0 ? new String(in.readNBytes(contentLength), StandardCharsets.UTF_8) : "";
            }
            return new SseClient(socket, in, status, headers.toString(), body, read);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new IllegalStateException("cannot subscribe to " + path + ": " + e, e);
        }
    }

    /** Starts reading (for a client opened not to read). */
    void startReading() {
        if (reader == null && status == 200) {
            reader = Thread.ofVirtual().name("sse-client").start(this::read);
        }
    }

    int status() {
        return status;
    }

    String headers() {
        return headers;
    }

    String errorBody() {
        return errorBody;
    }

    int comments() {
        return comments.get();
    }

    /** The next event; fails the test if none comes within {@code timeout}. */
    Received next(Duration timeout) {
        try {
            Received event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw new AssertionError("no event within " + timeout);
            }
            return event;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next {@code count} events. */
    List<Received> next(int count, Duration timeout) {
        List<Received> received = new ArrayList<>(count);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.size() < count) {
            received.add(next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))));
        }
        return received;
    }

    /** True once the server ended the response (or the connection closed). */
    boolean ended(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (long left = timeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
                if (events.poll(left, TimeUnit.NANOSECONDS) == END) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** Events received and not taken yet. */
    List<Received> drain() {
        List<Received> all = new ArrayList<>();
        events.drainTo(all);
        all.remove(END);
        return all;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        Thread thread = reader;
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void read() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        String id = null;
        String event = null;
        StringBuilder data = null;
        try {
            while (true) {
                String size = line(in);
                int length = Integer.parseInt(size.strip(), 16);
                if (length == 0) {
                    break;
                }
                byte[] chunk = in.readNBytes(length);
                line(in); // the CRLF after the chunk
                for (byte b : chunk) {
                    if (b != '\n') {
                        line.write(b);
                        continue;
                    }
                    String text = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (text.isEmpty()) {
                        if (data != null) {
                            events.add(new Received(id, event == null ? "message" : event, data.toString()));
                        }
                        id = null;
                        event = null;
                        data = null;
                    } else if (text.startsWith(":")) {
                        comments.incrementAndGet();
                    } else if (text.startsWith("id: ")) {
                        id = text.substring(4);
                    } else if (text.startsWith("event: ")) {
                        event = text.substring(7);
                    } else if (text.startsWith("data: ")) {
                        data = data == null ? new StringBuilder(text.substring(6)) : data.append('\n').append(text.substring(6));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // closed by the test, or the server went away
        }
        events.add(END);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
        if (line.isEmpty()) {
            throw new IOException("connection closed");
        }
        return line.toString();
    }
}
