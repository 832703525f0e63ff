package io.spindle.http;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import io.spindle.bus.Event;

/**
 * Writes Server-Sent Events on a response stream: {@code id:} (when the event has one), {@code event:}, one
 * {@code data:} line and a blank line per event (encoded once per event, whatever the number of subscribers),
 * and comment lines. Events are gathered in a buffer and written
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
        buffer.writeBytes(event.encoded(SseWriter::frame));
    }

    /** {@code id:} (if the event has one), {@code event:}, one {@code data:} line, a blank line. */
    static byte[] frame(Event event) {
        String id = event.hasId() ? Long.toString(event.id()) : null;
        byte[] type = event.type().getBytes(StandardCharsets.UTF_8);
        byte[] data = event.data().getBytes(StandardCharsets.UTF_8);
        int length = (id == null ? 0 : ID.length + id.length() + 1) + EVENT.length + type.length + 1 + DATA.length
                + data.length + 2;
        byte[] frame = new byte[length];
        int at = 0;
        if (id != null) {
            at = put(frame, at, ID);
            for (int i = 0; i < id.length(); i++) {
                frame[at++] = (byte) id.charAt(i);
            }
            frame[at++] = '\n';
        }
        at = put(frame, at, EVENT);
        at = put(frame, at, type);
        frame[at++] = '\n';
        at = put(frame, at, DATA);
        at = put(frame, at, data);
        frame[at++] = '\n';
        frame[at] = '\n';
        return frame;
    }

    private static int put(byte[] into, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, into, at, bytes.length);
        return at + bytes.length;
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

    /** A growable byte buffer for one writer thread (no locking), shrunk again after a large burst. */
    private static final class Buffer {
        private byte[] bytes = new byte[1024];
        private int size;

        void write(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
        }

        void writeBytes(byte[] more) {
            ensure(more.length);
            System.arraycopy(more, 0, bytes, size, more.length);
            size += more.length;
        }

        void utf8(String text) {
            writeBytes(text.getBytes(StandardCharsets.UTF_8));
        }

        byte[] bytes() {
            return bytes;
        }

        int size() {
            return size;
        }

        void reset() {
            size = 0;
            if (bytes.length > 64 * 1024) {
                bytes = new byte[1024];
            }
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }
}
