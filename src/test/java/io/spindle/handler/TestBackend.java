package io.spindle.handler;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP backend on a free loopback port that records what it receives and answers as told.
 */
final class TestBackend implements AutoCloseable {

    /** One request as it arrived; {@code remotePort} tells connections apart. */
    record Received(String method, String path, Headers headers, String body, int remotePort) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    @FunctionalInterface
    interface Responder {
        void respond(HttpExchange exchange, TestBackend backend) throws IOException, InterruptedException;
    }

    private final HttpServer server;
    private final CountDownLatch closing = new CountDownLatch(1);
    final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private volatile Responder responder = reply(200, "{\"ok\":true}");

    private TestBackend() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::exchange);
        server.start();
    }

    static TestBackend start() throws IOException {
        return new TestBackend();
    }

    TestBackend answer(Responder responder) {
        this.responder = responder;
        return this;
    }

    /** The backend's base URL, as a queue lists it. */
    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    Received take() throws InterruptedException {
        Received request = received.poll(5, TimeUnit.SECONDS);
        if (request == null) {
            throw new AssertionError("no request arrived at " + uri());
        }
        return request;
    }

    /** Blocks a responder until the backend closes, in place of a sleep. */
    void hang() throws InterruptedException {
        closing.await(30, TimeUnit.SECONDS);
    }

    static Responder reply(int status, String body, String... headerPairs) {
        return (exchange, backend) -> {
            for (int i = 0; i < headerPairs.length; i += 2) {
                exchange.getResponseHeaders().add(headerPairs[i], headerPairs[i + 1]);
            }
            send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
        };
    }

    static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        // the JDK server takes 0 to mean chunked and -1 to mean no body
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private void exchange(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                                      exchange.getRequestHeaders(), body, exchange.getRemoteAddress().getPort()));
            responder.respond(exchange, this);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
    }
}
