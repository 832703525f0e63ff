package io.spindle.http;

import java.io.IOException;
import java.io.OutputStream;

import io.helidon.common.GenericType;
import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http.spi.Sink;
import io.helidon.webserver.http.spi.SinkProviderContext;
import io.spindle.bus.Event;

/**
 * One event stream response, made through Helidon's sink SPI ({@code res.sink(EventStreamSink.TYPE)}), which
 * hands it the response's stream and its connection. Unlike Helidon's {@code SseSink}, which flushes every event
 * on its own, {@link #emit} only queues and {@link #flush} sends what is queued as one chunk, so that a subscriber
 * that fell behind catches up in one write; and each event is encoded once for all its subscribers. (Measured
 * with {@code bench/events} at 1,000 subscribers: streaming through {@code SseSink} took 2.8 times the server
 * CPU for the same deliveries, and three times the median latency.)
 */
final class EventStreamSink implements Sink<Event> {
    static final GenericType<EventStreamSink> TYPE = GenericType.create(EventStreamSink.class);

    private final OutputStream out;
    private final SseWriter writer;
    private final DataReader connection;
    private final Runnable closeResponse;

    EventStreamSink(SinkProviderContext context) {
        ServerResponse res = context.serverResponse();
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header(HeaderNames.create("X-Accel-Buffering"), "no");
        this.out = res.outputStream();
        this.writer = new SseWriter(out);
        this.connection = context.connectionContext().dataReader();
        this.closeResponse = context.closeRunnable();
    }

    /** Queues an event for the next {@link #flush}. */
    @Override
    public EventStreamSink emit(Event event) {
        writer.event(event);
        return this;
    }

    /** Queues a comment line for the next {@link #flush}. */
    EventStreamSink comment(String text) {
        writer.comment(text);
        return this;
    }

    /** Sends what is queued, as one chunk. */
    void flush() throws SseWriter.ClientGone {
        writer.flush();
    }

    /** Starts noticing the client's going away while the stream waits for events; see {@link DisconnectWatch}. */
    DisconnectWatch watchDisconnect(Runnable onDisconnect) {
        return DisconnectWatch.start(connection, onDisconnect);
    }

    /** Ends the response (the last chunk); throws if the connection broke meanwhile. */
    @Override
    public void close() throws IOException {
        out.close();
        closeResponse.run();
    }
}
