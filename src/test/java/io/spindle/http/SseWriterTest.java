package io.spindle.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import io.spindle.bus.Event;
import org.junit.jupiter.api.Test;

/** The SSE wire form of events and comments, and the one write per flush. */
class SseWriterTest {
    private static String frame(Event event) {
        return new String(SseWriter.frame(event), StandardCharsets.UTF_8);
    }

    @Test
    void aPublishedEventHasItsIdTypeAndDataThenABlankLine() {
        assertThat(frame(new Event("t", 42, "order.paid", "{\"total\":3}")))
                .isEqualTo("id: 42\nevent: order.paid\ndata: {\"total\":3}\n\n");
    }

    @Test
    void aNoticeOfTheBusCarriesNoId() {
        assertThat(frame(new Event("t", 0, Event.LAGGED, "{\"dropped\":3}")))
                .isEqualTo("event: lagged\ndata: {\"dropped\":3}\n\n");
    }

    @Test
    void eachLineOfDataGetsADataLineWhateverItsLineBreak() {
        assertThat(frame(new Event("t", 1, "m", "a\nb\r\nc\rd")))
                .isEqualTo("id: 1\nevent: m\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
        assertThat(frame(new Event("t", 1, "m", "a\n")))
                .as("a trailing line break survives: the client joins the lines with LF")
                .isEqualTo("id: 1\nevent: m\ndata: a\ndata: \n\n");
    }

    @Test
    void dataIsUtf8() {
        assertThat(SseWriter.frame(new Event("t", 1, "m", "\"caf\u00e9 \ud83d\ude00\"")))
                .endsWith("data: \"caf\u00e9 \ud83d\ude00\"\n\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void commentsAreLinesThatStartWithAColon() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SseWriter writer = new SseWriter(out);
        writer.comment("keep-alive");
        writer.comment("two\nlines");
        writer.flush();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(": keep-alive\n\n: two\n: lines\n\n");
    }

    @Test
    void eventsAddedBeforeAFlushGoOutInOneWrite() throws Exception {
        CountingStream out = new CountingStream();
        SseWriter writer = new SseWriter(out);
        writer.event(new Event("t", 1, "m", "1"));
        writer.event(new Event("t", 2, "m", "2"));
        writer.event(new Event("t", 3, "m", "3"));
        assertThat(out.writes).as("nothing is written before the flush").isZero();
        writer.flush();
        assertThat(out.writes).isEqualTo(1);
        assertThat(out.flushes).isEqualTo(1);
        assertThat(out.bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo("id: 1\nevent: m\ndata: 1\n\nid: 2\nevent: m\ndata: 2\n\nid: 3\nevent: m\ndata: 3\n\n");
    }

    @Test
    void anEventIsEncodedOnceForAllItsSubscribers() {
        Event event = new Event("t", 1, "m", "{}");
        assertThat(event.encoded(SseWriter::frame)).isSameAs(event.encoded(SseWriter::frame));
    }

    @Test
    void aBrokenConnectionShowsAsClientGoneOnFlush() {
        SseWriter writer = new SseWriter(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("Broken pipe");
            }
        });
        writer.event(new Event("t", 1, "m", "1"));
        assertThatThrownBy(writer::flush).isInstanceOf(SseWriter.ClientGone.class).hasMessageContaining("Broken pipe");
    }

    private static final class CountingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int writes;
        int flushes;

        @Override
        public void write(int b) {
            writes++;
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes++;
            bytes.write(b, off, len);
        }

        @Override
        public void flush() {
            flushes++;
        }
    }
}
