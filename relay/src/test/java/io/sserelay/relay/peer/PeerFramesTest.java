package io.sserelay.relay.peer;

import io.sserelay.relay.sse.SseFrames;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.HeldBatch;
import io.sserelay.relay.stream.HistoryLimits;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.StoppedOrigin;
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
    void twoPhaseFramesRoundTripThroughTheReader() throws Exception {
        StreamHub hub = new StreamHub("origin1", new HistoryLimits(10, Duration.ofMinutes(1), 1 << 20), true, SseFrames.ENCODER);
        byte[] digest = new byte[32];
        digest[31] = 7;
        HeldBatch batch = hub.hold(List.of(new PublishRequest("orders", "created", "one".getBytes(StandardCharsets.UTF_8)),
                new PublishRequest("orders", null, "two".getBytes(StandardCharsets.UTF_8))),
                new IdempotencyTag("key-1", digest, false), 0);
        PeerFrameReader reader = reader(64 * 1024, PeerFrames.hello("abc123", 42, 1_790_000_000L, true),
                PeerFrames.hello("abc123", 42, 1_790_000_000L, false),
                PeerFrames.pending(batch.events().get(0)), PeerFrames.pending(batch.events().get(1)),
                PeerFrames.key(batch.lastSeq(), 2, batch.tag()), PeerFrames.commit(2), PeerFrames.abort(3, 5));

        assertThat(reader.next()).isEqualTo(new PeerFrame.Hello("abc123", 42, 1_790_000_000L, true));
        assertThat(reader.next()).isEqualTo(new PeerFrame.Hello("abc123", 42, 1_790_000_000L, false));
        PeerFrame.Pending first = (PeerFrame.Pending) reader.next();
        assertThat(first.event().seq()).isEqualTo(1);
        assertThat(first.event().type()).isEqualTo("created");
        assertThat(new String(first.event().data(), StandardCharsets.UTF_8)).isEqualTo("one");
        assertThat(((PeerFrame.Pending) reader.next()).event().type()).isNull();
        PeerFrame.Key key = (PeerFrame.Key) reader.next();
        assertThat(key.lastSeq()).isEqualTo(2);
        assertThat(key.count()).isEqualTo(2);
        assertThat(key.tag().key()).isEqualTo("key-1");
        assertThat(key.tag().digest()).isEqualTo(digest);
        assertThat(key.tag().single()).isFalse();
        assertThat(reader.next()).isEqualTo(new PeerFrame.Commit(2));
        assertThat(reader.next()).isEqualTo(new PeerFrame.Abort(3, 5));
    }

    @Test
    void anOlderRelaysHelloWithoutFlagsIsOnePhase() throws Exception {
        assertThat(reader(1024, PeerFrames.hello("abc123", 42, 1_790_000_000L)).next())
                .isEqualTo(new PeerFrame.Hello("abc123", 42, 1_790_000_000L, false));
        assertThat(reader(1024, PeerFrames.hello("abc123", 42, 0)).next())
                .isEqualTo(new PeerFrame.Hello("abc123", 42, 0, false));
    }

    @Test
    void theStoppedOriginsRoundTripAndTheirCountIsBounded() throws Exception {
        List<StoppedOrigin> stopped = List.of(new StoppedOrigin("gone0001", 17, 1_790_000_000L, 42_000),
                new StoppedOrigin("gone0002", 3, 0, 0));
        assertThat(reader(1024, PeerFrames.stopped(stopped)).next()).isEqualTo(new PeerFrame.Stopped(stopped));

        ByteBuffer tooMany = ByteBuffer.allocate(5 + 2).put(PeerFrames.STOPPED).putInt(2).putShort((short) 1025).flip();
        assertThatThrownBy(reader(1024, tooMany)::next).hasMessage("STOPPED names 1025 origins, more than 1024");
        ByteBuffer badOrigin = ByteBuffer.allocate(5 + 2 + 1 + 3 + 24).put(PeerFrames.STOPPED).putInt(2 + 1 + 3 + 24)
                .putShort((short) 1).put((byte) 3).put("a:b".getBytes(StandardCharsets.US_ASCII)).putLong(1).putLong(0)
                .putLong(0).flip();
        assertThatThrownBy(reader(1024, badOrigin)::next).hasMessage("STOPPED names an invalid origin 'a:b'");
    }

    @Test
    void refusesAnAbortBackwardsAndAKeyForMoreEventsThanExist() {
        assertThatThrownBy(reader(1024, PeerFrames.abort(5, 3))::next).hasMessage("ABORT of 5..3");
        IdempotencyTag tag = new IdempotencyTag("k", new byte[32], false);
        assertThatThrownBy(reader(1024, PeerFrames.key(2, 3, tag))::next).hasMessage("KEY is invalid");
        assertThatThrownBy(reader(1024, PeerFrames.commit(0))::next).hasMessage("COMMIT has sequence number 0");
    }

    @Test
    void readsAcknowledgementsInAnyPiecesAndRefusesAnythingElse() throws Exception {
        ByteBuffer acks = ByteBuffer.allocate(26).put(PeerFrames.ack(3)).put(PeerFrames.ack(9)).flip();
        AckReader ackReader = new AckReader();
        List<Long> seen = new java.util.ArrayList<>();
        while (acks.hasRemaining()) {
            ByteBuffer piece = acks.slice().limit(Math.min(4, acks.remaining()));
            acks.position(acks.position() + piece.remaining());
            ackReader.read(piece, seq -> seen.add(seq));
        }
        assertThat(seen).containsExactly(3L, 9L);
        assertThatThrownBy(() -> new AckReader().read(PeerFrames.commit(1), seq -> true))
                .isInstanceOfSatisfying(PeerProtocolException.class, e -> assertThat(e.reason()).isEqualTo("malformed"));
        assertThatThrownBy(() -> new AckReader().read(PeerFrames.ack(12), seq -> seq <= 10))
                .hasMessage("ACK of 12, which this relay never sent");
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
        StreamHub hub = new StreamHub("origin1", new HistoryLimits(10, Duration.ofMinutes(1), 1 << 20), true, SseFrames.ENCODER);
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
