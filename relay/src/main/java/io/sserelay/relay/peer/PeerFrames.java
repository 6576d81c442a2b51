package io.sserelay.relay.peer;

import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.HeldEvent;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.StoppedOrigin;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The frames of the peer stream a relay sends to a peer that follows it. Big-endian:
 *
 * <pre>
 * frame     = kind:u8 length:u32 payload[length]
 * HELLO     = originLength:u8 origin lastSeq:i64 [startedAt:i64 [flags:u8]]   first frame, once;
 *             startedAt (seconds since the epoch) from protocol 2, flags from protocol 3
 * EVENT     = seq:i64 streamLength:u8 stream typeLength:u16 type data   (typeLength 0xFFFF: no type)
 * GAP       = upTo:i64 streamLength:u8 stream               (streamLength 0: any stream)
 * HEARTBEAT = (empty)                                       while idle
 * HORIZON   = horizon:i64                                   protocol 2: after HELLO when the relay
 *             has a horizon, and whenever it rises (seconds since the epoch; see Position)
 * PENDING   = as EVENT                                      protocol 3: an event held until COMMIT
 *                                                           or ABORT
 * COMMIT    = upTo:i64                                      pending events up to upTo are events now
 * ABORT     = firstSeq:i64 lastSeq:i64                      these pending events never exist
 * KEY       = lastSeq:i64 count:u32 single:u8 digest[32] keyLength:u8 key   the idempotency key of
 *                                                           the pending events lastSeq-count+1..lastSeq
 * ACK       = seq:i64                                       follower to origin: it holds every
 *                                                           pending event up to seq
 * STOPPED   = count:u16 (originLength:u8 origin lastSeq:i64 startedAt:i64 silentForMillis:i64)*
 *             protocol 3: right
 *             after HELLO, when the origin knows other origins that none of its links follows
 *             (relays that stopped), so that a follower that never knew them learns of them
 * CAUGHT_UP = (empty)                                       protocol 3, two-phase: the catch-up
 *                                                           (gaps, replayed events, and the PENDING
 *                                                           and KEY frames of what the origin still
 *                                                           holds) is complete; live frames follow
 * </pre>
 *
 * <p>Protocol 3 is a follow request that can acknowledge ({@code POST}, whose chunked request
 * body carries the ACK frames); only its HELLO has flags. Bit 0 says this stream is two-phase: the origin
 * sends its new events as PENDING, then COMMIT or ABORT, and the follower acknowledges them. A
 * follower that sends {@code GET} (protocols 1 and 2) gets the older HELLO and only committed events.
 *
 * <p>Stream names, origins and idempotency keys are ASCII by their own rules; types and data are UTF-8.
 */
public final class PeerFrames {

    public static final byte HELLO = 1;
    public static final byte EVENT = 2;
    public static final byte GAP = 3;
    public static final byte HEARTBEAT_KIND = 4;
    public static final byte HORIZON = 5;
    public static final byte PENDING = 6;
    public static final byte COMMIT = 7;
    public static final byte ABORT = 8;
    public static final byte KEY = 9;
    public static final byte ACK = 10;
    public static final byte CAUGHT_UP_KIND = 11;
    public static final byte STOPPED = 12;
    /** The most origins one STOPPED frame names; a relay retires stopped origins beyond 64. */
    static final int MAX_STOPPED = 1024;
    static final int HELLO_TWO_PHASE = 1;
    static final int DIGEST_BYTES = 32;
    public static final int HEADER_BYTES = 5;
    static final int ACK_FRAME_BYTES = HEADER_BYTES + 8;
    static final int NO_TYPE = 0xFFFF;
    public static final String CONTENT_TYPE = "application/x-sserelay-peer";

    public static final ByteBuffer HEARTBEAT = ByteBuffer.wrap(new byte[] {HEARTBEAT_KIND, 0, 0, 0, 0}).asReadOnlyBuffer();
    public static final ByteBuffer CAUGHT_UP = ByteBuffer.wrap(new byte[] {CAUGHT_UP_KIND, 0, 0, 0, 0}).asReadOnlyBuffer();

    private PeerFrames() {
    }

    /** {@code startedAt} 0 leaves it out, for a follower of the first protocol version. */
    public static ByteBuffer hello(String origin, long lastSeq, long startedAt) {
        byte[] originBytes = origin.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = header(HELLO, 1 + originBytes.length + 8 + (startedAt > 0 ? 8 : 0));
        out.put((byte) originBytes.length).put(originBytes).putLong(lastSeq);
        if (startedAt > 0) {
            out.putLong(startedAt);
        }
        return finish(out);
    }

    /** The HELLO of a protocol-3 follow request, which can acknowledge; {@code twoPhase}: see the class comment. */
    public static ByteBuffer hello(String origin, long lastSeq, long startedAt, boolean twoPhase) {
        byte[] originBytes = origin.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = header(HELLO, 1 + originBytes.length + 8 + 8 + 1);
        out.put((byte) originBytes.length).put(originBytes).putLong(lastSeq).putLong(startedAt)
                .put((byte) (twoPhase ? HELLO_TWO_PHASE : 0));
        return finish(out);
    }

    /** The frame of an event of this relay's origin; encoded once per event and shared. */
    public static ByteBuffer event(Event event) {
        return event(EVENT, event.seq(), event.stream(), event.type(), event.dataView());
    }

    /** The frame of a held event, sent to followers that acknowledge. */
    public static ByteBuffer pending(HeldEvent event) {
        return event(PENDING, event.seq(), event.stream(), event.type(), event.dataView());
    }

    private static ByteBuffer event(byte kind, long seq, String streamName, String typeName, ByteBuffer data) {
        byte[] stream = streamName.getBytes(StandardCharsets.US_ASCII);
        byte[] type = typeName == null ? null : typeName.getBytes(StandardCharsets.UTF_8);
        int length = 8 + 1 + stream.length + 2 + (type == null ? 0 : type.length) + data.remaining();
        ByteBuffer out = header(kind, length);
        out.putLong(seq).put((byte) stream.length).put(stream);
        if (type == null) {
            out.putShort((short) NO_TYPE);
        } else {
            out.putShort((short) type.length).put(type);
        }
        out.put(data);
        return finish(out);
    }

    public static ByteBuffer horizon(long horizon) {
        return finish(header(HORIZON, 8).putLong(horizon));
    }

    /** The origins in {@code stopped}, at most {@link #MAX_STOPPED} of them. */
    public static ByteBuffer stopped(List<StoppedOrigin> stopped) {
        List<StoppedOrigin> sent = stopped.size() > MAX_STOPPED ? stopped.subList(0, MAX_STOPPED) : stopped;
        int length = 2;
        for (StoppedOrigin known : sent) {
            length += 1 + known.origin().length() + 24;
        }
        ByteBuffer out = header(STOPPED, length).putShort((short) sent.size());
        for (StoppedOrigin known : sent) {
            byte[] origin = known.origin().getBytes(StandardCharsets.US_ASCII);
            out.put((byte) origin.length).put(origin).putLong(known.lastSeq()).putLong(known.startedAt())
                    .putLong(known.silentForMillis());
        }
        return finish(out);
    }

    public static ByteBuffer commit(long upTo) {
        return finish(header(COMMIT, 8).putLong(upTo));
    }

    public static ByteBuffer abort(long firstSeq, long lastSeq) {
        return finish(header(ABORT, 16).putLong(firstSeq).putLong(lastSeq));
    }

    /** The idempotency key of the held events {@code lastSeq - count + 1 .. lastSeq}. */
    public static ByteBuffer key(long lastSeq, int count, IdempotencyTag tag) {
        byte[] key = tag.key().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = header(KEY, 8 + 4 + 1 + DIGEST_BYTES + 1 + key.length);
        out.putLong(lastSeq).putInt(count).put((byte) (tag.single() ? 1 : 0)).put(tag.digest())
                .put((byte) key.length).put(key);
        return finish(out);
    }

    /** Sent by a follower in its request body. */
    public static ByteBuffer ack(long seq) {
        return finish(header(ACK, 8).putLong(seq));
    }

    /** {@code stream} empty means any stream. */
    public static ByteBuffer gap(String stream, long upTo) {
        byte[] name = stream.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = header(GAP, 8 + 1 + name.length);
        out.putLong(upTo).put((byte) name.length).put(name);
        return finish(out);
    }

    private static ByteBuffer header(byte kind, int length) {
        return ByteBuffer.allocate(HEADER_BYTES + length).put(kind).putInt(length);
    }

    private static ByteBuffer finish(ByteBuffer out) {
        return out.flip().asReadOnlyBuffer();
    }
}
