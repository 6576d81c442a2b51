package io.sserelay.relay.peer;

import io.sserelay.relay.stream.Event;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The frames of the peer stream a relay sends to a peer that follows it. Big-endian:
 *
 * <pre>
 * frame     = kind:u8 length:u32 payload[length]
 * HELLO     = originLength:u8 origin lastSeq:i64 [startedAt:i64]   first frame, once; startedAt
 *             (seconds since the epoch) only to a follower that asked for protocol 2
 * EVENT     = seq:i64 streamLength:u8 stream typeLength:u16 type data   (typeLength 0xFFFF: no type)
 * GAP       = upTo:i64 streamLength:u8 stream               (streamLength 0: any stream)
 * HEARTBEAT = (empty)                                       while idle
 * HORIZON   = horizon:i64                                   protocol 2: after HELLO when the relay
 *             has a horizon, and whenever it rises (seconds since the epoch; see Position)
 * </pre>
 *
 * Stream names and origins are ASCII by their own rules; types and data are UTF-8.
 */
public final class PeerFrames {

    public static final byte HELLO = 1;
    public static final byte EVENT = 2;
    public static final byte GAP = 3;
    public static final byte HEARTBEAT_KIND = 4;
    public static final byte HORIZON = 5;
    public static final int HEADER_BYTES = 5;
    static final int NO_TYPE = 0xFFFF;
    public static final String CONTENT_TYPE = "application/x-sserelay-peer";

    public static final ByteBuffer HEARTBEAT = ByteBuffer.wrap(new byte[] {HEARTBEAT_KIND, 0, 0, 0, 0}).asReadOnlyBuffer();

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

    /** The frame of an event of this relay's origin; encoded once per event and shared. */
    public static ByteBuffer event(Event event) {
        byte[] stream = event.stream().getBytes(StandardCharsets.US_ASCII);
        byte[] type = event.type() == null ? null : event.type().getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = event.dataView();
        int length = 8 + 1 + stream.length + 2 + (type == null ? 0 : type.length) + data.remaining();
        ByteBuffer out = header(EVENT, length);
        out.putLong(event.seq()).put((byte) stream.length).put(stream);
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
