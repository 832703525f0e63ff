package io.spindle.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A real HTTP backend on a free loopback port (the JDK's server, one virtual thread per exchange) that
 * records every request with the moment it arrived, counts how many it holds at once, and answers as its
 * {@link Responder} says (or, for answers no {@link Reply} can describe, its {@link ExchangeResponder}).
 * Tests wait on it with deadlines instead of sleeping.
 */
public final class Backend implements AutoCloseable {

    /**
     * One request as it arrived; {@code nanos} is {@link System#nanoTime()}, {@code at} the wall clock, and
     * {@code remotePort} tells the caller's connections apart.
     */
    public record Received(int index, long nanos, Instant at, String method, String path, Headers headers, String body,
                           int remotePort) {
        public String header(String name) {
            return headers.getFirst(name);
        }

        public JsonNode json() {
            return Json.parse(body);
        }
    }

    /** What the backend answers. */
    public record Reply(int status, String body, Map<String, String> headers) {
        public static final Reply OK = json(200, "{\"ok\":true}");

        public static Reply json(int status, String body) {
            return new Reply(status, body, Map.of("Content-Type", "application/json"));
        }

        public static Reply status(int status) {
            return new Reply(status, "", Map.of());
        }

        public Reply withHeader(String name, String value) {
            Map<String, String> all = new LinkedHashMap<>(headers);
            all.put(name, value);
            return new Reply(status, body, all);
        }
    }

    /** Decides the answer to a request; may block (simulated work), which counts as the request being held. */
    @FunctionalInterface
    public interface Responder {
        Reply respond(Received request) throws InterruptedException;
    }

    /** Writes the answer itself: a body that never ends, stalls halfway, or never comes. */
    @FunctionalInterface
    public interface ExchangeResponder {
        void respond(HttpExchange exchange) throws IOException, InterruptedException;
    }

    /** A reply to send, or null when the exchange was answered already. */
    private interface Answer {
        Reply answer(Received request, HttpExchange exchange) throws IOException, InterruptedException;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<Received> received = new ArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile Answer answer;
    private int inFlight;
    private int maxInFlight;

    private Backend() throws IOException {
        answer(always(Reply.OK));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512); // a backlog for load tests
        server.setExecutor(executor);
        server.createContext("/", this::exchange);
        server.start();
    }

    /** A backend that answers {@link Reply#OK} until told otherwise. */
    public static Backend start() {
        try {
            return new Backend();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a loopback backend", e);
        }
    }

    public Backend answer(Responder responder) {
        this.answer = (request, exchange) -> responder.respond(request);
        return this;
    }

    public Backend answerExchange(ExchangeResponder responder) {
        this.answer = (request, exchange) -> {
            responder.respond(exchange);
            return null;
        };
        return this;
    }

    public static Responder always(Reply reply) {
        return request -> reply;
    }

    /** Holds each request for {@code delay} (a slow backend), then answers {@code reply}. */
    public static Responder after(Duration delay, Reply reply) {
        return request -> {
            Thread.sleep(delay);
            return reply;
        };
    }

    /** Blocks until the backend closes (at most 30 s): a responder's way of never answering. */
    public void hang() throws InterruptedException {
        closing.await(30, TimeUnit.SECONDS);
    }

    /** Answers the n-th request (from 0) with the n-th reply; the last reply repeats. */
    public static Responder sequence(Reply... replies) {
        return request -> replies[Math.min(request.index(), replies.length - 1)];
    }

    /** The base URL, as a queue lists it. */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** A loopback URL where nothing listens (a port just bound and released): connections are refused. */
    public static URI deadUri() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<Received> received() {
        lock.lock();
        try {
            return List.copyOf(received);
        } finally {
            lock.unlock();
        }
    }

    /** How many requests arrived for each {@code Spindle-Task-Id}. */
    public Map<String, Integer> deliveries() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Received request : received()) {
            String id = request.header("Spindle-Task-Id");
            if (id != null) {
                counts.merge(id, 1, Integer::sum);
            }
        }
        return counts;
    }

    public int count() {
        lock.lock();
        try {
            return received.size();
        } finally {
            lock.unlock();
        }
    }

    /** The most requests this backend has held at one time. */
    public int maxInFlight() {
        lock.lock();
        try {
            return maxInFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until at least {@code n} requests have arrived and returns them all; fails at the deadline. */
    public List<Received> await(int n, Duration timeout) throws InterruptedException {
        if (!awaitQuietly(n, timeout)) {
            throw new AssertionError("expected " + n + " requests at " + uri() + " within " + timeout
                                     + ", got " + count());
        }
        return received();
    }

    /** Waits until at least {@code n} requests have arrived; false if the deadline passes first. */
    private boolean awaitQuietly(int n, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (received.size() < n) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = arrived.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void exchange(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            long nanos = System.nanoTime();
            Instant at = Instant.now();
            Received request;
            lock.lock();
            try {
                request = new Received(received.size(), nanos, at, exchange.getRequestMethod(),
                                       exchange.getRequestURI().toString(), exchange.getRequestHeaders(), body,
                                       exchange.getRemoteAddress().getPort());
                received.add(request);
                inFlight++;
                maxInFlight = Math.max(maxInFlight, inFlight);
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
            Reply reply;
            try {
                reply = answer.answer(request, exchange);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                reply = Reply.status(503);
            } finally {
                // before the answer leaves: the caller cannot send its next request until it has the answer
                lock.lock();
                try {
                    inFlight--;
                } finally {
                    lock.unlock();
                }
            }
            if (reply == null) {
                return;
            }
            reply.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            byte[] bytes = reply.body().getBytes(StandardCharsets.UTF_8);
            // the JDK server takes 0 to mean chunked and -1 to mean no body
            exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
