package io.spindle.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.bus.Event;
import io.spindle.bus.Subscription;
import io.spindle.bus.TopicBus;

/**
 * The open SSE streams: each request's own (virtual) thread waits on its subscription and writes what comes,
 * a comment when nothing came for the keep-alive interval, and gives the subscription back as soon as the
 * client goes away (seen at once by a {@link DisconnectWatch}, else when a write fails). A stream writes (one
 * chunk, one system call, through its {@link EventStreamSink}) at most once per flush interval: an event that
 * finds the stream idle goes out at once, events that follow within the interval go out together at its end. Under heavy fan-out that bounds
 * the writes, and the wake-ups of the writing threads, per stream, at the cost of at most one interval of
 * delay. Closing (at shutdown, before the HTTP server stops) ends every stream with a {@code shutdown} event;
 * a stream stuck writing to a client that reads nothing is interrupted, so the server never waits on it.
 */
public final class EventStreams implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventStreams.class.getName());
    /** Events written with one flush at most; the rest follow at once in the next. */
    private static final int MAX_BATCH = 256;
    private static final Duration END_WAIT = Duration.ofSeconds(2);

    private record Stream(Subscription subscription, Thread thread) {
    }

    private final TopicBus bus;
    private final Duration keepAlive;
    private final long flushIntervalNanos;
    private final Set<Stream> open = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ended = lock.newCondition();
    private volatile boolean closing;

    public EventStreams(TopicBus bus, Duration keepAlive, Duration flushInterval) {
        this.bus = bus;
        this.keepAlive = keepAlive;
        this.flushIntervalNanos = flushInterval.toNanos();
    }

    /** Streams open now. */
    public int open() {
        return open.size();
    }

    /**
     * Subscribes to the topic (replaying after the request's {@code Last-Event-ID}) and streams its events on
     * the response until the client goes away or the server shuts down. Refusals (bounds, shutdown) are thrown
     * before anything is written, so they become problem responses.
     */
    void stream(String topic, ServerRequest req, ServerResponse res) {
        String lastEventId = req.headers().first(HeaderNames.create("Last-Event-ID")).orElse(null);
        Subscription subscription = bus.subscribe(topic, lastEventId);
        Stream stream = new Stream(subscription, Thread.currentThread());
        open.add(stream);
        DisconnectWatch watch = null;
        try {
            res.status(Status.OK_200);
            EventStreamSink sink = res.sink(EventStreamSink.TYPE);
            watch = sink.watchDisconnect(subscription::cancel);
            if (closing) {
                subscription.end();
            }
            pump(subscription, sink);
            sink.close();
        } catch (SseWriter.ClientGone e) {
            // the client went away; the subscription is freed below
        } catch (java.io.IOException | RuntimeException e) {
            // the connection broke while Helidon committed or closed the response
            LOG.fine(() -> "event stream on " + topic + " ended: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            subscription.close();
            if (watch != null) {
                watch.stop();
            }
            open.remove(stream);
            signalEnded();
        }
    }

    private void pump(Subscription subscription, EventStreamSink sink) throws SseWriter.ClientGone, InterruptedException {
        // the first bytes commit the status and headers, so the client knows it is subscribed
        sink.comment("subscribed to " + subscription.topic()).flush();
        long keepAliveNanos = keepAlive.toNanos();
        long lastWrite = System.nanoTime();
        List<Event> batch = new ArrayList<>(MAX_BATCH);
        while (subscription.isOpen()) {
            long quiet = System.nanoTime() - lastWrite;
            Event event = quiet < keepAliveNanos ? subscription.next(Duration.ofNanos(keepAliveNanos - quiet)) : null;
            if (event == null) {
                if (subscription.isOpen() && System.nanoTime() - lastWrite >= keepAliveNanos) {
                    sink.comment("keep-alive").flush();
                    lastWrite = System.nanoTime();
                }
                continue;
            }
            sink.emit(event);
            batch.clear();
            subscription.drainTo(batch, MAX_BATCH - 1);
            for (Event more : batch) {
                sink.emit(more);
            }
            sink.flush();
            lastWrite = System.nanoTime();
            if (flushIntervalNanos > 0 && subscription.isOpen()) {
                // while this sleeps, publishers only queue: no wake-up, no write per event
                Thread.sleep(Duration.ofNanos(flushIntervalNanos));
            }
        }
    }

    /**
     * Ends every stream with a {@code shutdown} event and waits for them to finish; streams still writing after
     * a short wait (to clients that read nothing) are interrupted, which closes their connections.
     */
    @Override
    public void close() throws InterruptedException {
        closing = true;
        int count = open.size();
        open.forEach(stream -> stream.subscription().end());
        if (!awaitAllEnded(END_WAIT)) {
            open.forEach(stream -> stream.thread().interrupt());
            awaitAllEnded(Duration.ofSeconds(1));
        }
        int left = open.size();
        LOG.info(() -> "event streams ended: " + count + (left > 0 ? " (" + left + " did not finish)" : ""));
    }

    private boolean awaitAllEnded(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        lock.lock();
        try {
            while (!open.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                ended.await(left, TimeUnit.NANOSECONDS);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void signalEnded() {
        lock.lock();
        try {
            ended.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
