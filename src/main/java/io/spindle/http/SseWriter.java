package io.spindle.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.spindle.bus.Event;

/**
 * Writes Server-Sent Events on a response stream: {@code id:} (when the event has one), {@code event:}, one
 * {@code data:} line and a blank line per event, and comment lines. Events are gathered in a buffer and written
 * with one flush, so each flush is one chunk on the wire; the caller flushes whenever it has nothing more ready.
 * A client that went away shows as a {@link ClientGone} on write or flush.
 */
final class SseWriter {
    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

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
        if (event.hasId()) {
            buffer.writeBytes(ID);
            buffer.ascii(Long.toString(event.id()));
            buffer.write('\n');
        }
        buffer.writeBytes(EVENT);
        buffer.utf8(event.type());
        buffer.write('\n');
        buffer.writeBytes(DATA);
        buffer.utf8(event.data());
        buffer.write('\n');
        buffer.write('\n');
    }

    /** Adds a comment line ({@code : text}), which clients ignore; keeps idle connections open. */
    void comment(String text) {
        buffer.write(':');
        buffer.write(' ');
        buffer.utf8(text);
        buffer.write('\n');
        buffer.write('\n');
    }

    /** Sends what was added, at once. */
    void flush() throws ClientGone {
        try {
            if (buffer.size() > 0) {
                out.write(buffer.bytes(), 0, buffer.size());
                buffer.reset();
            }
            out.flush();
        } catch (IOException | UncheckedIOException e) {
            buffer.reset();
            throw new ClientGone(e);
        }
    }

    /** Bytes waiting for the next flush. */
    int pending() {
        return buffer.size();
    }

    /** A growable byte buffer that exposes its array, to write without a copy. */
    private static final class Buffer extends java.io.ByteArrayOutputStream {
        Buffer() {
            super(1024);
        }

        byte[] bytes() {
            return buf;
        }

        void ascii(String text) {
            for (int i = 0; i < text.length(); i++) {
                write(text.charAt(i));
            }
        }

        void utf8(String text) {
            writeBytes(text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void reset() {
            super.reset();
            if (buf.length > 64 * 1024) {
                buf = new byte[1024];
            }
        }
    }
}
