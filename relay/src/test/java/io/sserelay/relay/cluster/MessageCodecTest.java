package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sserelay.relay.cluster.MessageCodec.MalformedFrameException;
import io.sserelay.relay.cluster.MessageCodec.PayloadCodec;
import io.sserelay.relay.cluster.MessageCodec.Writer;
import io.sserelay.relay.cluster.Message.Ack;
import io.sserelay.relay.cluster.Message.Append;
import io.sserelay.relay.cluster.Message.Deliver;
import io.sserelay.relay.cluster.Message.Entries;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.Message.Forward;
import io.sserelay.relay.cluster.Message.Handover;
import io.sserelay.relay.cluster.Message.HandoverAck;
import io.sserelay.relay.cluster.Message.Committed;
import io.sserelay.relay.cluster.Message.Interest;
import io.sserelay.relay.cluster.Message.NoInterest;
import io.sserelay.relay.cluster.Message.MayRelease;
import io.sserelay.relay.cluster.Message.NeedSync;
import io.sserelay.relay.cluster.Message.Published;
import io.sserelay.relay.cluster.Message.Refusal;
import io.sserelay.relay.cluster.Message.Refused;
import io.sserelay.relay.cluster.Message.Release;
import io.sserelay.relay.cluster.Message.Sync;
import io.sserelay.relay.cluster.Message.ViewIs;
import io.sserelay.relay.cluster.Message.ViewPull;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MessageCodecTest {

    private static final PayloadCodec<String> STRINGS = StringPayloads.CODEC;

    private static final long E = EventId.newEpoch(7, 99);
    private final MessageCodec<String> codec = new MessageCodec<>(STRINGS, 1_000, 1 << 20, 1 << 20);

    private static List<Message> everyKind() {
        StreamLog<String> log = new StreamLog<>(1_000, E);
        log.appendCommitted(new Entry<>(new EventId(E, 1), "committed"));
        log.append(new Entry<>(new EventId(E, 3), "pending, after an aborted 2"));
        Map<String, StreamLog<String>> copies = new LinkedHashMap<>();
        copies.put("orders", log);
        copies.put("empty", new StreamLog<>(1_000, 1));
        Entry<String> entry = new Entry<>(new EventId(E, 4), "data with ünïcode\nand lines");
        Entry<String> next = new Entry<>(new EventId(E, 5), "second of the batch");
        KeyRecord key = new KeyRecord("f81d4fae-7dec", "digest", List.of(new EventId(E, 4), new EventId(E, 5)));
        log.append(entry);
        log.append(next);
        log.putKey(key);
        return List.of(
                new Forward<>(42, "orders", List.of("hello", "world"), "f81d4fae-7dec", "digest", 1_900),
                new Forward<>(43, "orders", List.of("unkeyed"), null, null, 1_900),
                new Published(42, List.of(new EventId(E, 4), new EventId(E, 5)), true),
                new Refused(43, true, Refusal.NOT_OWNER, "not the stream's owner"),
                new Refused(44, false, Refusal.KEY_IN_USE, "wait"),
                new Append<>("orders", List.of(entry, next), new EventId(E, 3), new EventId(E, 1), key),
                new Append<>("orders", List.of(entry), null, null, null),
                new Ack("orders", new EventId(E, 4)),
                new Ack("orders", null),
                new NeedSync("orders"),
                new Sync<>("orders", log, 3),
                new Handover<>(-1, copies),
                new HandoverAck(5),
                new Interest("orders", null, 9),
                new Interest("orders", new EventId(E, 1), 10),
                new NoInterest("orders"),
                new Committed("orders", new EventId(E, 4)),
                new Entries<>("orders", 10, new EventId(E, 1), false, E, null, List.of(entry, next), List.of(key)),
                new Entries<>("orders", 11, null, true, E, new EventId(E, 1), List.of(), List.of()),
                new Deliver<>("orders", List.of(entry, next), new EventId(E, 3), E, key),
                new Deliver<>("orders", List.of(entry), new EventId(E, 1), E, null),
                new ViewPull(),
                new Release("orders"),
                new MayRelease("orders"),
                new ViewIs(new View(12, List.of("10.0.0.1:7070", "10.0.0.2:7070"), List.of("10.0.0.3:7070"))));
    }

    @Test
    void everyMessageComesOutAsItWentIn() {
        for (Message message : everyKind()) {
            Envelope sent = new Envelope("10.0.0.1:7070", 3, 12, message);
            ByteBuffer frame = codec.encode(sent);
            int length = codec.frameLength(frame.getInt());
            assertThat(frame.remaining()).isEqualTo(length);
            Envelope received = codec.decode(frame);
            assertThat(received.from()).isEqualTo(sent.from());
            assertThat(received.incarnation()).isEqualTo(3);
            assertThat(received.generation()).isEqualTo(12);
            assertThat(describe(received.body())).as(message.getClass().getSimpleName()).isEqualTo(describe(message));
        }
    }

    /** Records compare by value, except for the stream copies they hold: compare those by content. */
    private static String describe(Message message) {
        if (message instanceof Sync<?> sync) {
            return "Sync " + sync.stream() + " " + describe(sync.log()) + " " + sync.numberedThrough();
        }
        if (message instanceof Handover<?> handover) {
            StringBuilder text = new StringBuilder("Handover " + handover.targetIncarnation());
            handover.copies().forEach((stream, log) -> text.append(' ').append(stream).append('=').append(describe(log)));
            return text.toString();
        }
        return message.toString();
    }

    private static String describe(StreamLog<?> log) {
        return log.epoch() + "/" + log.trimmedThrough() + "/" + log.committedCount() + "/" + log.entries() + "/"
                + log.keys();
    }

    @Test
    void aMessageLargerThanAFrameTravelsInFragmentsAndComesBackWholeHoweverItsBytesArrive() {
        MessageCodec<String> smallFrames = new MessageCodec<>(STRINGS, 1_000, 64, 1 << 20);
        Random random = new Random(11);
        for (Message message : everyKind()) {
            ByteBuffer bytes = smallFrames.encode(new Envelope("10.0.0.1:7070", 3, 12, message));
            FrameDecoder<String> decoder = new FrameDecoder<>(smallFrames);
            List<Envelope> received = new ArrayList<>();
            while (bytes.hasRemaining()) {
                int piece = Math.min(bytes.remaining(), 1 + random.nextInt(100));
                received.addAll(decoder.feed(bytes.slice(bytes.position(), piece)));
                bytes.position(bytes.position() + piece);
            }
            assertThat(received).hasSize(1);
            assertThat(describe(received.get(0).body())).isEqualTo(describe(message));
        }
    }

    /**
     * Frames back to back, as a link carries them, cut anywhere: whole frames are decoded where
     * they lie, split ones gathered. Names that are not ASCII take the long way in both
     * directions, and a message larger than what an encoder keeps between messages changes
     * nothing for the ones after it; a frame encoded earlier is never touched by a later one.
     */
    @Test
    void framesBackToBackComeOutAsTheyWentInWhereverTheStreamIsCut() {
        List<Message> messages = new ArrayList<>(everyKind());
        messages.add(new Interest("Straße/ストリーム", new EventId(E, 7), 12));
        messages.add(new Deliver<>("naïve", List.of(new Entry<>(new EventId(E, 8), "x".repeat(50_000)),
                new Entry<>(new EventId(E, 9), "y".repeat(50_000))), null, E, null));
        messages.add(new NoInterest("orders"));
        List<ByteBuffer> frames = new ArrayList<>();
        for (Message message : messages) {
            frames.add(codec.encode(new Envelope(message instanceof NoInterest ? "relay-é:7070" : "10.0.0.1:7070", 3, 12,
                    message)));
        }
        ByteBuffer stream = ByteBuffer.allocate(frames.stream().mapToInt(ByteBuffer::remaining).sum());
        frames.forEach(frame -> stream.put(frame.duplicate()));
        stream.flip();
        List<String> expected = messages.stream().map(MessageCodecTest::describe).toList();
        Random random = new Random(5);
        for (int maxPiece : new int[] {1, 7, 300, 5_000, stream.remaining()}) {
            FrameDecoder<String> decoder = new FrameDecoder<>(codec);
            List<Envelope> received = new ArrayList<>();
            ByteBuffer bytes = stream.duplicate();
            while (bytes.hasRemaining()) {
                int piece = Math.min(bytes.remaining(), 1 + random.nextInt(maxPiece));
                received.addAll(decoder.feed(bytes.slice(bytes.position(), piece)));
                bytes.position(bytes.position() + piece);
            }
            assertThat(received).extracting(envelope -> describe(envelope.body())).as("pieces of up to %d", maxPiece)
                    .containsExactlyElementsOf(expected);
            assertThat(received.get(received.size() - 1).from()).isEqualTo("relay-é:7070");
        }
    }

    @Test
    void fragmentsOverTheMessageLimitOrWithoutTheirLastAreRefused() {
        MessageCodec<String> tight = new MessageCodec<>(STRINGS, 1_000, 64, 128);
        assertThatThrownBy(() -> tight.encode(new Envelope("a", 1, 1, new Forward<>(1, "s", List.of("x".repeat(200)),
                null, null, 1)))).isInstanceOf(MalformedFrameException.class).hasMessageContaining("over the limit of 128");
        MessageCodec<String> roomy = new MessageCodec<>(STRINGS, 1_000, 64, 1 << 20);
        ByteBuffer large = roomy.encode(new Envelope("a", 1, 1, new Forward<>(1, "s", List.of("x".repeat(200)), null,
                null, 1)));
        assertThatThrownBy(() -> new FrameDecoder<>(tight).feed(large.duplicate()))
                .isInstanceOf(MalformedFrameException.class).hasMessageContaining("over the limit of 128");
        ByteBuffer firstFragment = large.duplicate().limit(64);
        ByteBuffer whole = roomy.encode(new Envelope("a", 1, 1, new ViewPull()));
        FrameDecoder<String> decoder = new FrameDecoder<>(roomy);
        decoder.feed(firstFragment);
        assertThatThrownBy(() -> decoder.feed(whole)).isInstanceOf(MalformedFrameException.class)
                .hasMessage("a message's fragments end without their last");
    }

    @Test
    void aFrameOverTheLimitIsRefusedFromItsLengthAndNeverWritten() {
        MessageCodec<String> small = new MessageCodec<>(STRINGS, 1_000, 64, 64);
        assertThatThrownBy(() -> small.frameLength(61)).isInstanceOf(MalformedFrameException.class)
                .hasMessage("a frame announces 61 bytes; the limit is 60");
        assertThatThrownBy(() -> small.frameLength(-1)).isInstanceOf(MalformedFrameException.class)
                .hasMessageContaining("4294967295");
        assertThatThrownBy(() -> small.encode(new Envelope("a", 1, 1, new Forward<>(1, "s", List.of("x".repeat(100)),
                null, null, 1))))
                .isInstanceOf(MalformedFrameException.class).hasMessageContaining("is over the limit of 64");
    }

    @Test
    void everyTruncationAndEveryFlippedByteIsAMalformedFrameOrAMessageNeverAnotherFault() {
        Random random = new Random(2026);
        for (Message message : everyKind()) {
            ByteBuffer frame = codec.encode(new Envelope("10.0.0.1:7070", 3, 12, message));
            frame.getInt();
            byte[] content = new byte[frame.remaining()];
            frame.get(content);
            for (int cut = 0; cut < content.length; cut++) {
                ByteBuffer truncated = ByteBuffer.wrap(content, 0, cut);
                assertThatThrownBy(() -> codec.decode(truncated)).isInstanceOf(MalformedFrameException.class);
            }
            for (int i = 0; i < 2_000; i++) {
                byte[] mutated = content.clone();
                int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
                }
                decodesOrRefuses(mutated);
            }
        }
        for (int i = 0; i < 20_000; i++) {
            byte[] garbage = new byte[random.nextInt(64)];
            random.nextBytes(garbage);
            decodesOrRefuses(garbage);
        }
    }

    private void decodesOrRefuses(byte[] content) {
        try {
            codec.decode(ByteBuffer.wrap(content));
        } catch (MalformedFrameException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Test
    void countsLargerThanTheFrameAreRefusedBeforeAnythingIsAllocated() {
        Writer out = new Writer();
        out.u8(8); // a handover
        out.string("a");
        out.i64(1);
        out.i64(1);
        out.i64(-1);
        out.u32(Integer.MAX_VALUE);
        ByteBuffer content = out.finish();
        assertThatThrownBy(() -> codec.decode(content)).isInstanceOf(MalformedFrameException.class)
                .hasMessage("a count of 2147483647 is more than the frame holds");
        List<Entry<String>> many = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            many.add(new Entry<>(new EventId(E, i), "e" + i));
        }
        MessageCodec<String> retainsTwo = new MessageCodec<>(STRINGS, 2, 1 << 20, 1 << 20);
        ByteBuffer frame = codec.encode(new Envelope("a", 1, 1, new Sync<>("s", StreamLog.committed(10, E, null, many), 3)));
        frame.getInt();
        Sync<?> sync = (Sync<?>) retainsTwo.decode(frame).body();
        assertThat(sync.log().entries()).as("the receiver's own retention").hasSize(2);
        assertThat(sync.log().trimmedThrough()).isEqualTo(new EventId(E, 1));
    }
}
