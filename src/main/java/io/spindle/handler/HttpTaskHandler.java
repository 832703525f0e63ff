package io.spindle.handler;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.RuntimeUnknownHostException;
import io.spindle.task.HandlerSpec;
import io.spindle.task.Queue;
import io.spindle.task.Task;

/**
 * Delivers a task by POSTing its payload to one backend of its queue, chosen by that queue's
 * {@link Balancer} (one per queue, at most {@value QueueBalancers#MAX_QUEUES} kept) among the backends whose
 * circuit breaker lets it through, tells the breaker how the delivery went, and turns the answer into an
 * {@link Outcome}. Thread-safe; close it after the last task has finished to release the pooled
 * connections.
 */
public final class HttpTaskHandler implements TaskHandler, AutoCloseable {
    /** The largest response body kept as a task's result. */
    public static final int MAX_RESULT_BYTES = 64 * 1024;

    private static final HeaderName TASK_ID = HeaderNames.create("Spindle-Task-Id");
    private static final HeaderName QUEUE = HeaderNames.create("Spindle-Queue");
    private static final HeaderName ATTEMPT = HeaderNames.create("Spindle-Attempt");
    private static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");
    /** The token of the attempt, for a backend that answers 202 and reports later (docs/api.md#long-tasks). */
    public static final HeaderName LEASE = HeaderNames.create("Spindle-Lease");
    private static final int ERROR_EXCERPT_CHARS = 200;

    private final BackendClients clients = new BackendClients();
    private final QueueBalancers balancers;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final DeliverySigner signer;

    /** Breakers open for 10 s; time is the system's. */
    public HttpTaskHandler() {
        this(Duration.ofSeconds(10), Clock.systemUTC());
    }

    /**
     * @param waitInOpen how long a backend's breaker stays open before one probe (default thresholds)
     * @param clock      the wall clock, against which an HTTP-date in {@code Retry-After} is read
     */
    public HttpTaskHandler(Duration waitInOpen, Clock clock) {
        this(BackendBreakers.standalone(waitInOpen), clock, DeliverySigner.UNSIGNED);
    }

    /** @param signer adds the Standard Webhooks signature headers to each delivery (or none) */
    public HttpTaskHandler(BackendBreakers breakers, Clock clock, DeliverySigner signer) {
        this.clock = clock;
        this.signer = signer;
        this.nanoTime = System::nanoTime;
        this.balancers = new QueueBalancers(breakers);
    }

    @Override
    public Outcome handle(Queue queue, Task task) throws InterruptedException {
        if (!(queue.handler() instanceof HandlerSpec.Http spec)) {
            throw new IllegalArgumentException("queue " + queue.name() + " has no http handler: " + queue.handler());
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before delivering task " + task.id());
        }
        Balancer balancer;
        try {
            balancer = balancers.route(queue.name(), spec).balancer();
        } catch (IllegalArgumentException e) {
            return new Outcome.Fail("cannot build the backend URL: " + e.getMessage());
        }
        Optional<Balancer.Choice> chosen = balancer.next();
        if (chosen.isEmpty()) {
            return new Outcome.Refused("the circuit breaker of every backend of queue " + queue.name() + " is open");
        }
        Balancer.Choice choice = chosen.get();
        long start = nanoTime.getAsLong();
        try {
            return deliver(spec, queue.name(), task, choice, start);
        } catch (RuntimeException e) {
            if (interruption(e)) {
                choice.breaker().releasePermission();
                throw interrupted("interrupted while delivering task " + task.id() + " to " + choice.endpoint(), e);
            }
            String error = describe(e, spec.timeout()) + " from " + choice.endpoint() + after(start);
            failed(choice, start, error);
            return new Outcome.Retry(error, Optional.empty());
        } catch (InterruptedException e) {
            choice.breaker().releasePermission();
            throw e;
        }
    }

    private void failed(Balancer.Choice choice, long start, String error) {
        choice.breaker().onError(nanoTime.getAsLong() - start, TimeUnit.NANOSECONDS, new BackendFailure(error));
    }

    private void answered(Balancer.Choice choice, long start) {
        choice.breaker().onSuccess(nanoTime.getAsLong() - start, TimeUnit.NANOSECONDS);
    }

    /** A failed delivery as its backend's breaker records it. */
    private static final class BackendFailure extends RuntimeException {
        BackendFailure(String message) {
            super(message, null, false, false);
        }
    }

    private Outcome deliver(HandlerSpec.Http spec, String queue, Task task, Balancer.Choice choice, long start)
            throws InterruptedException {
        URI endpoint = choice.endpoint();
        String id = Long.toString(task.id());
        byte[] payload = task.payload().getBytes(StandardCharsets.UTF_8);
        HttpClientRequest request = clients.forTimeout(spec.timeout())
                .post()
                .uri(endpoint)
                .readTimeout(spec.timeout())
                .header(HeaderValues.CONTENT_TYPE_JSON)
                .header(TASK_ID, id)
                .header(QUEUE, queue)
                .header(ATTEMPT, Integer.toString(task.attempts()))
                .header(IDEMPOTENCY_KEY, id);
        if (task.leaseToken() != null) {
            request.header(LEASE, task.leaseToken());
        }
        signer.headers(task.id(), task.attempts(), payload).forEach(request::header);
        try (HttpClientResponse response = request.submit(payload)) {
            int status = response.status().code();
            byte[] body = readBody(response);
            if (status == 202) {
                answered(choice, start);
                return new Outcome.Accepted();
            }
            if (status >= 200 && status < 300) {
                answered(choice, start);
                return new Outcome.Success(result(status, body));
            }
            String error = "HTTP " + status + " from " + endpoint + after(start) + excerpt(body);
            if (status == 408 || status == 429 || status >= 500) {
                failed(choice, start, error);
                Optional<Duration> notBefore = RetryAfter.parse(response.headers().first(HeaderNames.RETRY_AFTER)
                                                                        .orElse(null), clock);
                return new Outcome.Retry(error, notBefore);
            }
            answered(choice, start); // alive, even if it did not take the task
            if (status >= 400) {
                return new Outcome.Fail(error);
            }
            // 1xx and 3xx: the backend is alive but did not take the task; redirects are not followed
            return new Outcome.Retry(error, Optional.empty());
        }
    }

    /**
     * Reads one byte past the limit, so that a longer body is known to be too long without buffering it.
     * The status has been received, so a body that breaks off does not change the outcome; it is read as empty.
     */
    private static byte[] readBody(HttpClientResponse response) throws InterruptedException {
        // the stream is not closed: its close() would wait for more of the body; closing the response drops it
        try {
            InputStream in = response.inputStream();
            return in.readNBytes(MAX_RESULT_BYTES + 1);
        } catch (RuntimeException | IOException e) {
            if (interruption(e)) {
                throw interrupted("interrupted while reading a response", e);
            }
            return new byte[0];
        }
    }

    private static String result(int status, byte[] body) {
        if (body.length <= MAX_RESULT_BYTES) {
            Optional<String> json = JsonResult.of(body);
            if (json.isPresent()) {
                return json.get();
            }
        }
        return "{\"status\":" + status + "}";
    }

    private String after(long start) {
        return " after " + TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - start) + " ms";
    }

    private static String excerpt(byte[] body) {
        if (body.length == 0) {
            return "";
        }
        String text = new String(body, 0, Math.min(body.length, ERROR_EXCERPT_CHARS * 4), StandardCharsets.UTF_8)
                .replaceAll("\\p{Cntrl}+", " ")
                .strip();
        if (text.isEmpty()) {
            return "";
        }
        if (text.length() > ERROR_EXCERPT_CHARS) {
            int end = Character.isHighSurrogate(text.charAt(ERROR_EXCERPT_CHARS - 1))
                    ? ERROR_EXCERPT_CHARS - 1
                    : ERROR_EXCERPT_CHARS;
            return ": " + text.substring(0, end) + "…";
        }
        return ": " + text;
    }

    private static String describe(Exception e, Duration timeout) {
        if (find(e, SocketTimeoutException.class) != null) {
            return "timeout (" + timeout + ")";
        }
        if (find(e, UnknownHostException.class) != null || find(e, RuntimeUnknownHostException.class) != null) {
            return "unknown host";
        }
        Throwable cause = find(e, ConnectException.class);
        if (cause == null) {
            cause = e;
            while (cause.getCause() != null && cause.getCause() != cause) {
                cause = cause.getCause();
            }
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /**
     * Whether the failure came from interrupting this thread. Helidon can swallow the interrupt status on
     * the way (waiting for its socket monitor), so the cause chain counts as well as the flag.
     */
    private static boolean interruption(Exception e) {
        boolean flagged = Thread.interrupted();
        if (flagged || find(e, InterruptedException.class) != null || find(e, ClosedByInterruptException.class) != null) {
            return true;
        }
        InterruptedIOException io = find(e, InterruptedIOException.class);
        return io != null && !(io instanceof SocketTimeoutException);
    }

    private static InterruptedException interrupted(String message, Exception cause) {
        InterruptedException interrupted = new InterruptedException(message);
        interrupted.initCause(cause);
        return interrupted;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /** Closes the pooled connections. Call it after in-flight tasks have finished; later calls do nothing. */
    @Override
    public void close() {
        clients.close();
    }
}
