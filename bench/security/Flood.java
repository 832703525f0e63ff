import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Floods Spindle with distinct client identities: one request each from COUNT distinct loopback source addresses
 * (127.2.0.1, 127.2.0.2, ...; Linux routes all of 127.0.0.0/8 to lo), so that each is a new client to the rate
 * limiter. Usage: java Flood.java PORT COUNT THREADS [PATH]. Prints the status codes it got.
 */
public class Flood {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        String path = args.length > 3 ? args[3] : "/v1/queues/default";
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        AtomicInteger next = new AtomicInteger();
        Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = Thread.ofPlatform().start(() -> {
                byte[] buffer = new byte[8192];
                for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    int n = i + 1;
                    String status;
                    try (Socket socket = new Socket()) {
                        socket.setReuseAddress(true);
                        socket.bind(new InetSocketAddress(InetAddress.getByAddress(
                                new byte[] {127, (byte) (2 + (n >> 16)), (byte) (n >> 8), (byte) n}), 0));
                        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
                        socket.setSoTimeout(10_000);
                        OutputStream out = socket.getOutputStream();
                        out.write(request);
                        InputStream in = socket.getInputStream();
                        int read = in.read(buffer);
                        // the status is all this needs; closing now also spares waiting for the server to close
                        status = read > 12 ? new String(buffer, 9, 3, StandardCharsets.ISO_8859_1) : "none";
                    } catch (Exception e) {
                        status = e.getClass().getSimpleName();
                    }
                    statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                }
            });
        }
        for (Thread worker : workers) {
            worker.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("flood: %d identities in %.1f s (%.0f/s); statuses %s%n", count, seconds, count / seconds, statuses);
    }
}
