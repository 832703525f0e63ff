package bench.loadgen;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The no-op backend of the benchmark's http queues: a raw-socket HTTP/1.1 server on 127.0.0.1 (ephemeral
 * port), one virtual thread per connection, keep-alive, answering every request {@code 200 {}}. It notes
 * when each {@code Spindle-Task-Id} first arrived (System.nanoTime, the load generator's own clock, once the
 * request head is read) and counts repeated deliveries. A request without that header may carry {@code X-Job-Id}
 * instead (bench/peers' graphile-worker job). Run standalone ({@code loadgen sink}), it also answers two control
 * requests, not counted: {@code GET /_sink/counts} (JSON: requests, distinct, repeats, withoutId, connections) and
 * {@code POST /_sink/reset}.
 */
final class Sink implements Closeable {
    private static final byte[] OK = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                                      + "\r\n{}").getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket server;
    private final Map<Long, Long> arrivals = new ConcurrentHashMap<>(1 << 16);
    final AtomicLong requests = new AtomicLong();
    final AtomicLong repeats = new AtomicLong();
    final AtomicLong withoutId = new AtomicLong();
    final AtomicLong connections = new AtomicLong();
    private volatile boolean closed;

    Sink() throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        Thread.ofVirtual().name("sink-accept").start(this::acceptLoop);
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    Map<Long, Long> arrivals() {
        return arrivals;
    }

    /** Waits for the task's first arrival; returns its time, or -1 after the timeout. */
    long await(long taskId, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            Long t = arrivals.get(taskId);
            if (t != null) {
                return t;
            }
            if (System.nanoTime() > deadline) {
                return -1;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                Thread.ofVirtual().name("sink-conn").start(() -> serve(s));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("sink: accept failed: " + e);
                }
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            ByteReader in = new ByteReader(s.getInputStream(), 16 * 1024);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1024);
            while (!closed) {
                do { // request line (stray empty lines skipped)
                    if (!in.readLine()) {
                        return;
                    }
                } while (in.lineLength == 0);
                boolean countsRequest = in.lineStartsWith("get /_sink/counts");
                boolean resetRequest = in.lineStartsWith("post /_sink/reset");
                long contentLength = 0;
                boolean chunked = false;
                boolean close = false;
                long id = -1;
                while (true) {
                    if (!in.readLine()) {
                        return;
                    }
                    if (in.lineLength == 0) {
                        break;
                    }
                    if (in.lineStartsWith("spindle-task-id:")) {
                        id = in.lineNumber("spindle-task-id:".length());
                    } else if (in.lineStartsWith("x-job-id:")) {
                        id = in.lineNumber("x-job-id:".length());
                    } else if (in.lineStartsWith("content-length:")) {
                        contentLength = in.lineNumber("content-length:".length());
                    } else if (in.lineStartsWith("transfer-encoding:")) {
                        chunked = in.lineValue("transfer-encoding:".length()).toLowerCase().contains("chunked");
                    } else if (in.lineStartsWith("connection:")) {
                        close = in.lineValue("connection:".length()).equalsIgnoreCase("close");
                    }
                }
                long now = System.nanoTime();
                if (chunked) {
                    skipChunked(in);
                } else {
                    in.skip(contentLength);
                }
                if (countsRequest || resetRequest) {
                    if (resetRequest) {
                        reset();
                    }
                    out.write(countsResponse());
                    out.flush();
                    continue;
                }
                requests.incrementAndGet();
                if (id < 0) {
                    withoutId.incrementAndGet();
                } else if (arrivals.putIfAbsent(id, now) != null) {
                    repeats.incrementAndGet();
                }
                out.write(OK);
                out.flush();
                if (close) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away
        }
    }

    private static void skipChunked(ByteReader in) throws IOException {
        while (true) {
            if (!in.readLine()) {
                throw new IOException("eof in chunked body");
            }
            String size = in.lineValue(0);
            int semicolon = size.indexOf(';');
            long length = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
            if (length == 0) {
                while (in.readLine() && in.lineLength > 0) {
                    // trailers
                }
                return;
            }
            in.skip(length);
            in.readLine();
        }
    }

    private byte[] countsResponse() {
        String body = "{\"requests\":" + requests.get() + ",\"distinct\":" + arrivals.size() + ",\"repeats\":"
                      + repeats.get() + ",\"withoutId\":" + withoutId.get() + ",\"connections\":" + connections.get()
                      + "}";
        return ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n"
                + body).getBytes(StandardCharsets.US_ASCII);
    }

    /** Forgets all arrivals and counts (between phases). */
    void reset() {
        arrivals.clear();
        requests.set(0);
        repeats.set(0);
        withoutId.set(0);
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
