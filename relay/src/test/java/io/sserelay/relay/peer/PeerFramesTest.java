package io.sserelay.relay.peer;

import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.HistoryLimits;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.StreamHub;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeerFramesTest {

    @Test
    void framesRoundTripThroughTheReader() throws Exception {
        Event typed = event("orders", "created", "{\"id\":7}\nline two");
        Event untyped = event("orders", null, "plain");
        PeerFrameReader reader = reader(64 * 1024, PeerFrames.hello("abc123", 42, 0), PeerFrames.event(typed),
                PeerFrames.event(untyped), PeerFrames.gap("orders", 9), PeerFrames.gap("", 3), PeerFrames.HEARTBEAT);

        assertThat(reader.next()).isEqualTo(new PeerFrame.Hello("abc123", 42, 0));
        PeerFrame.EventFrame first = (PeerFrame.EventFrame) reader.next();
        assertThat(first.event().seq()).isEqualTo(typed.seq());
        assertThat(first.event().stream()).isEqualTo("orders");
        assertThat(first.event().type()).isEqualTo("created");
        assertThat(new String(first.event().data(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":7}\nline two");
        assertThat(((PeerFrame.EventFrame) reader.next()).event().type()).isNull();
        assertThat(reader.next()).isEqualTo(new PeerFrame.Gap("orders", 9));
        assertThat(reader.next()).isEqualTo(new PeerFrame.Gap(null, 3));
        assertThat(reader.next()).isInstanceOf(PeerFrame.Heartbeat.class);
        assertThatThrownBy(reader::next).isInstanceOf(EOFException.class);
    }

    @Test
    void protocolTwoAddsTheStartTimeToHelloAndAHorizonFrame() throws Exception {
        PeerFrameReader reader = reader(64 * 1024, PeerFrames.hello("abc123", 42, 1_790_000_000L),
                PeerFrames.horizon(1_789_000_000L));
        assertThat(reader.next()).isEqualTo(new PeerFrame.Hello("abc123", 42, 1_790_000_000L));
        assertThat(reader.next()).isEqualTo(new PeerFrame.Horizon(1_789_000_000L));
        // A protocol-1 HELLO (no start time) is the frame every earlier version sends.
        assertThat(PeerFrames.hello("abc123", 42, 0).remaining()).isEqualTo(PeerFrames.HEADER_BYTES + 1 + 6 + 8);
    }

    @Test
    void refusesAFrameLongerThanAnEventMayBeFromItsHeader() {
        PeerFrameReader reader = reader(16, ByteBuffer.wrap(new byte[] {PeerFrames.EVENT, 0x7f, 0, 0, 0}));
        assertThatThrownBy(reader::next).isInstanceOfSatisfying(PeerProtocolException.class,
                e -> assertThat(e.reason()).isEqualTo("oversized"));
    }

    @Test
    void refusesEventDataOverTheLimitAndMalformedFields() {
        assertThatThrownBy(reader(4, PeerFrames.event(event("s", null, "too long")))::next)
                .isInstanceOfSatisfying(PeerProtocolException.class, e -> assertThat(e.reason()).isEqualTo("oversized"));
        ByteBuffer badType = ByteBuffer.allocate(5 + 8 + 2 + 2 + 3 + 1).put(PeerFrames.EVENT).putInt(8 + 2 + 2 + 3 + 1)
                .putLong(1).put((byte) 1).put((byte) 's').putShort((short) 3).put("a\nb".getBytes(StandardCharsets.UTF_8))
                .put((byte) 'x').flip();
        assertThatThrownBy(reader(1024, badType)::next).isInstanceOfSatisfying(PeerProtocolException.class,
                e -> assertThat(e.getMessage()).isEqualTo("EVENT type contains CR, LF or NUL"));
        assertThatThrownBy(reader(1024, ByteBuffer.wrap(new byte[] {42, 0, 0, 0, 0}))::next)
                .hasMessage("unknown frame kind 42");
    }

    @Test
    void decodesChunkedBodiesWithExtensionsAcrossChunkBoundaries() throws IOException {
        byte[] body = "4;name=value\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (ChunkedInputStream in = new ChunkedInputStream(new ByteArrayInputStream(body))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("wikipedia");
        }
        byte[] broken = "4\r\nwikiXX".getBytes(StandardCharsets.US_ASCII);
        try (ChunkedInputStream in = new ChunkedInputStream(new ByteArrayInputStream(broken))) {
            assertThatThrownBy(in::readAllBytes).hasMessage("a chunk does not end in CRLF");
        }
    }

    private static Event event(String stream, String type, String data) {
        StreamHub hub = new StreamHub("origin1", new HistoryLimits(10, Duration.ofMinutes(1), 1 << 20), true);
        return hub.publish(List.of(new PublishRequest(stream, type, data.getBytes(StandardCharsets.UTF_8))), 0).get(0);
    }

    private static PeerFrameReader reader(int maxEventBytes, ByteBuffer... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer frame : frames) {
            ByteBuffer copy = frame.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            out.writeBytes(bytes);
        }
        return new PeerFrameReader(new ByteArrayInputStream(out.toByteArray()), maxEventBytes);
    }
}
