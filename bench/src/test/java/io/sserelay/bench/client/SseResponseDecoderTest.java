package io.sserelay.bench.client;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SseResponseDecoderTest {

    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n";

    /** What a listener saw, as text: "status 200", "event message: data", "end". */
    private static final class Recording implements SseResponseDecoder.Listener {
        final List<String> seen = new ArrayList<>();

        @Override
        public void onHeaders(int status) {
            seen.add("status " + status);
        }

        @Override
        public void onEvent(SseResponseDecoder event) {
            String type = event.typeIs("message") ? "message" : event.typeIs("reset") ? "reset" : "other";
            seen.add(type + ": " + new String(event.data(), 0, event.dataLength(), StandardCharsets.UTF_8)
                    + " @" + event.lastEventId());
        }

        @Override
        public void onEnd() {
            seen.add("end");
        }
    }

    private static String chunk(String body) {
        return Integer.toHexString(body.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + body + "\r\n";
    }

    private static List<String> decodeInPiecesOf(String response, int piece) throws Exception {
        Recording recording = new Recording();
        SseResponseDecoder decoder = new SseResponseDecoder(recording);
        byte[] bytes = response.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += piece) {
            decoder.feed(bytes, i, Math.min(piece, bytes.length - i));
        }
        return recording.seen;
    }

    @Test
    void decodesAChunkedEventStreamWhateverThePiecesItArrivesIn() throws Exception {
        String response = HEAD + chunk("retry: 2000\n\nid: a:0\n\n")
                + chunk("id: a:1\ndata: one\n\n: heartbeat\n\n") + chunk("id: a:2\nevent: reset\ndata: {\"streams\":[\"s\"]}\n\n")
                + chunk("id: a:3\ndata: two\ndata: lines\n\n") + "0\r\n\r\n";
        List<String> expected = List.of("status 200", "message: one @a:1", "reset: {\"streams\":[\"s\"]} @a:2",
                "message: two\nlines @a:3", "end");
        for (int piece = 1; piece <= response.length(); piece++) {
            assertThat(decodeInPiecesOf(response, piece)).as("in pieces of %d bytes", piece).isEqualTo(expected);
        }
    }

    @Test
    void linesEndWithLfCrOrCrLfAndAnEventMaySpanChunks() throws Exception {
        String response = HEAD + chunk("id: x:1\rdata: cr\r\r") + chunk("id: x:2\r\ndata: cr") + chunk("lf\r\n\r\n")
                + chunk("data: lf\n\n");
        assertThat(decodeInPiecesOf(response, 7)).containsExactly("status 200", "message: cr @x:1",
                "message: crlf @x:2", "message: lf @x:2");
    }

    @Test
    void anIdOnlyFrameMovesTheLastEventIdWithoutAnEvent() throws Exception {
        Recording recording = new Recording();
        SseResponseDecoder decoder = new SseResponseDecoder(recording);
        byte[] bytes = (HEAD + chunk("id: o:7\n\n")).getBytes(StandardCharsets.UTF_8);
        decoder.feed(bytes, 0, bytes.length);
        assertThat(recording.seen).containsExactly("status 200");
        assertThat(decoder.lastEventId()).isEqualTo("o:7");
    }

    @Test
    void aResponseWithoutChunkingIsReadUntilItsEnd() throws Exception {
        String response = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nid: 1\ndata: plain\n\n";
        assertThat(decodeInPiecesOf(response, 3)).containsExactly("status 200", "message: plain @1");
    }

    @Test
    void anErrorStatusIsReportedAndItsBodyIsNotTakenForEvents() throws Exception {
        String response = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}";
        assertThat(decodeInPiecesOf(response, 5)).containsExactly("status 503");
    }

    @Test
    void somethingOtherThanHttpIsRefused() {
        SseResponseDecoder decoder = new SseResponseDecoder(new Recording());
        byte[] bytes = "SSH-2.0-OpenSSH\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> decoder.feed(bytes, 0, bytes.length))
                .isInstanceOf(SseResponseDecoder.MalformedResponseException.class)
                .hasMessageContaining("not an HTTP/1.x status line");
    }
}
