package io.spindle.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

/**
 * A loopback HTTP backend that counts deliveries per {@code Spindle-Task-Id} and answers 200 after an
 * optional delay.
 */
public final class CountingSink implements AutoCloseable {
    private final HttpServer server;
    private final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    private final AtomicInteger concurrent = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private volatile Duration delay;

    public CountingSink(Duration delay) throws IOException {
        this.delay = delay;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            try (InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
                String id = exchange.getRequestHeaders().getFirst("Spindle-Task-Id");
                if (id != null) {
                    deliveries.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                }
                if (!delay.isZero()) {
                    Thread.sleep(delay);
                }
                byte[] answer = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, answer.length);
                exchange.getResponseBody().write(answer);
            } catch (InterruptedException e) {
                exchange.sendResponseHeaders(503, -1);
            } finally {
                concurrent.decrementAndGet();
                exchange.close();
            }
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void delay(Duration delay) {
        this.delay = delay;
    }

    public Map<String, AtomicInteger> deliveries() {
        return deliveries;
    }

    public int maxConcurrent() {
        return maxConcurrent.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
