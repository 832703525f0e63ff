package io.spindle.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.spindle.bus.Event;

/**
 * Writes Server-Sent Events on a response stream: {@code id:} (when the event has one), {@code event:}, a
 * {@code data:} line per line of data and a blank line per event (encoded once per event, whatever the number of
 * subscribers), and comment lines. Events are gathered in a buffer and written with one flush, so each flush is
 * one chunk on the wire; the caller flushes whenever it has nothing more ready. A client that went away shows as
 * a {@link ClientGone} on flush.
 */
final class SseWriter {
    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMENT = ": ".getBytes(StandardCharsets.US_ASCII);

    /** The client closed the connection (or it broke). */
    static final class ClientGone extends Exception {
        ClientGone(Throwable cause) {
            super(cause.getMessage(), cause, false, false);
        }
    }

    private final OutputStream out;
    private final Buffer buffer = new Buffer();

    SseWriter(OutputStream out) {
        this.out = out;
    }

    /** Adds an event to what the next flush sends. */
    void event(Event event) {
        buffer.write(event.encoded(SseWriter::frame));
    }

    /**
     * {@code id:} (if the event has one), {@code event:}, one {@code data:} line for each line of the data (split
     * at CR, LF or CRLF, as a client joins them again with LF), a blank line. Topic names, types and ids are
     * single tokens ({@link io.spindle.bus.TopicBus} checks them), so only the data can span lines.
     */
    static byte[] frame(Event event) {
        Buffer frame = new Buffer(event.type().length() + event.data().length() + 64);
        if (event.hasId()) {
            frame.line(ID, Long.toString(event.id()).getBytes(StandardCharsets.US_ASCII));
        }
        frame.line(EVENT, event.type().getBytes(StandardCharsets.UTF_8));
        frame.lines(DATA, event.data().getBytes(StandardCharsets.UTF_8));
        frame.write('\n');
        return frame.toArray();
    }

    /** Adds a comment ({@code : text}, a line per line of text), which clients ignore; keeps idle connections open. */
    void comment(String text) {
        buffer.lines(COMMENT, text.getBytes(StandardCharsets.UTF_8));
        buffer.write('\n');
    }

    /** Sends what was added, at once. */
    void flush() throws ClientGone {
        try {
            if (buffer.size > 0) {
                out.write(buffer.bytes, 0, buffer.size);
                buffer.reset();
            }
            out.flush();
        } catch (IOException | UncheckedIOException e) {
            buffer.reset();
            throw new ClientGone(e);
        }
    }

    /** A growable byte buffer for one writer thread (no locking), shrunk again after a large burst. */
    private static final class Buffer {
        private static final int INITIAL = 1024;
        private byte[] bytes;
        private int size;

        Buffer() {
            this(INITIAL);
        }

        Buffer(int capacity) {
            bytes = new byte[capacity];
        }

        void write(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        void write(byte[] more) {
            write(more, 0, more.length);
        }

        void write(byte[] more, int from, int length) {
            ensure(length);
            System.arraycopy(more, from, bytes, size, length);
            size += length;
        }

        /** {@code field}, the value, LF. */
        void line(byte[] field, byte[] value) {
            write(field);
            write(value);
            write('\n');
        }

        /** One {@code field} line per line of {@code value}. */
        void lines(byte[] field, byte[] value) {
            int start = 0;
            for (int i = 0; i < value.length; i++) {
                byte b = value[i];
                if (b == '\r' || b == '\n') {
                    write(field);
                    write(value, start, i - start);
                    write('\n');
                    if (b == '\r' && i + 1 < value.length && value[i + 1] == '\n') {
                        i++;
                    }
                    start = i + 1;
                }
            }
            write(field);
            write(value, start, value.length - start);
            write('\n');
        }

        byte[] toArray() {
            return Arrays.copyOf(bytes, size);
        }

        void reset() {
            size = 0;
            if (bytes.length > 64 * 1024) {
                bytes = new byte[INITIAL];
            }
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }
}
