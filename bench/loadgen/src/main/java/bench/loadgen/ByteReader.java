package bench.loadgen;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * An unsynchronised read buffer over a socket stream with line reading, for the HTTP client and sink
 * (BufferedInputStream takes a lock per byte read).
 */
final class ByteReader {
    private final InputStream in;
    private final byte[] buf;
    private int pos;
    private int end;

    /** The last line read, without CR LF: {@code line[0..lineLength)}. */
    byte[] line = new byte[256];
    int lineLength;

    ByteReader(InputStream in, int size) {
        this.in = in;
        this.buf = new byte[size];
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        end = n;
        return true;
    }

    /** Reads one LF-terminated line (a CR before the LF is dropped); false at end of stream before any byte. */
    boolean readLine() throws IOException {
        lineLength = 0;
        boolean any = false;
        while (true) {
            if (pos == end && !fill()) {
                return any;
            }
            any = true;
            int start = pos;
            while (pos < end && buf[pos] != '\n') {
                pos++;
            }
            int n = pos - start;
            if (lineLength + n > line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + n));
            }
            System.arraycopy(buf, start, line, lineLength, n);
            lineLength += n;
            if (pos < end) {
                pos++; // the LF
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return true;
            }
        }
    }

    /** Reads exactly n bytes into dst at off. */
    void readFully(byte[] dst, int off, int n) throws IOException {
        while (n > 0) {
            if (pos == end && !fill()) {
                throw new EOFException("connection closed in the body");
            }
            int k = Math.min(n, end - pos);
            System.arraycopy(buf, pos, dst, off, k);
            pos += k;
            off += k;
            n -= k;
        }
    }

    void skip(long n) throws IOException {
        while (n > 0) {
            if (pos == end && !fill()) {
                throw new EOFException("connection closed in the body");
            }
            int k = (int) Math.min(n, end - pos);
            pos += k;
            n -= k;
        }
    }

    /** Whether the current line starts with the lower-case ASCII prefix, ignoring case. */
    boolean lineStartsWith(String lowerPrefix) {
        if (lineLength < lowerPrefix.length()) {
            return false;
        }
        for (int i = 0; i < lowerPrefix.length(); i++) {
            int c = line[i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lowerPrefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The trimmed rest of the current line after {@code from} characters. */
    String lineValue(int from) {
        return new String(line, from, lineLength - from, java.nio.charset.StandardCharsets.US_ASCII).trim();
    }

    /** Parses the rest of the current line after {@code from} as a non-negative decimal number. */
    long lineNumber(int from) {
        long v = 0;
        boolean digits = false;
        for (int i = from; i < lineLength; i++) {
            int c = line[i];
            if (c >= '0' && c <= '9') {
                v = v * 10 + (c - '0');
                digits = true;
            } else if (c != ' ' && c != '\t') {
                throw new NumberFormatException("not a number: " + lineValue(from));
            }
        }
        if (!digits) {
            throw new NumberFormatException("no number: " + lineValue(from));
        }
        return v;
    }

    /** Reads the rest of the stream into dst (growing it); returns the new array, length in {@code restLength}. */
    int restLength;

    byte[] readToEof(byte[] dst, int off) throws IOException {
        restLength = off;
        while (true) {
            if (pos == end && !fill()) {
                return dst;
            }
            int k = end - pos;
            if (restLength + k > dst.length) {
                dst = Arrays.copyOf(dst, Math.max(dst.length * 2, restLength + k));
            }
            System.arraycopy(buf, pos, dst, restLength, k);
            restLength += k;
            pos = end;
        }
    }
}
