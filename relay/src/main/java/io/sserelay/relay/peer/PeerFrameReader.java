package io.sserelay.relay.peer;

import io.sserelay.relay.replication.IdempotencyKeys;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.RemoteEvent;
import io.sserelay.relay.stream.StoppedOrigin;
import io.sserelay.relay.stream.StreamName;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes {@link PeerFrames} from a peer's stream and validates everything a peer could get
 * wrong, so that nothing malformed or oversized reaches the hub: a frame longer than an event
 * may be is refused before it is read.
 */
final class PeerFrameReader {

    private static final int MAX_TYPE_BYTES = 800;

    private final DataInputStream in;
    private final int maxPayload;
    private final int maxEventBytes;

    PeerFrameReader(InputStream in, int maxEventBytes) {
        this.in = new DataInputStream(in);
        this.maxEventBytes = maxEventBytes;
        this.maxPayload = 8 + 1 + StreamName.MAX_LENGTH + 2 + MAX_TYPE_BYTES + maxEventBytes;
    }

    /** True when a whole frame header can be read without blocking. */
    boolean ready() throws IOException {
        return in.available() >= PeerFrames.HEADER_BYTES;
    }

    PeerFrame next() throws IOException, PeerProtocolException {
        int kind = in.read();
        if (kind < 0) {
            throw new EOFException("the peer ended its stream");
        }
        int length = in.readInt();
        if (length < 0 || length > maxPayload) {
            throw new PeerProtocolException("oversized", "frame of " + Integer.toUnsignedString(length)
                    + " bytes; the limit is " + maxPayload);
        }
        byte[] payload = in.readNBytes(length);
        if (payload.length < length) {
            throw new EOFException("the peer's stream ended inside a frame");
        }
        ByteBuffer body = ByteBuffer.wrap(payload);
        try {
            PeerFrame frame = switch (kind) {
                case PeerFrames.HELLO -> hello(body);
                case PeerFrames.EVENT -> new PeerFrame.EventFrame(event(body, "EVENT"));
                case PeerFrames.PENDING -> new PeerFrame.Pending(event(body, "PENDING"));
                case PeerFrames.COMMIT -> new PeerFrame.Commit(seq(body, "COMMIT"));
                case PeerFrames.ABORT -> abort(body);
                case PeerFrames.KEY -> key(body);
                case PeerFrames.GAP -> gap(body);
                case PeerFrames.HEARTBEAT_KIND -> new PeerFrame.Heartbeat();
                case PeerFrames.CAUGHT_UP_KIND -> new PeerFrame.CaughtUp();
                case PeerFrames.STOPPED -> stopped(body);
                case PeerFrames.HORIZON -> horizon(body);
                default -> throw new PeerProtocolException("malformed", "unknown frame kind " + kind);
            };
            if (body.hasRemaining() && kind != PeerFrames.EVENT && kind != PeerFrames.PENDING) {
                throw new PeerProtocolException("malformed", "frame kind " + kind + " has " + body.remaining()
                        + " bytes too many");
            }
            return frame;
        } catch (java.nio.BufferUnderflowException e) {
            throw new PeerProtocolException("malformed", "frame kind " + kind + " is shorter than its fields");
        }
    }

    private static PeerFrame hello(ByteBuffer body) throws PeerProtocolException {
        String origin = ascii(body, body.get() & 0xFF);
        if (!Position.isValidOrigin(origin)) {
            throw new PeerProtocolException("malformed", "HELLO names an invalid origin '" + origin + "'");
        }
        long lastSeq = body.getLong();
        if (lastSeq < 0) {
            throw new PeerProtocolException("malformed", "HELLO has a negative sequence number");
        }
        // Peers that speak protocol 2 or later (see PeerHandler) add when they started.
        long startedAt = body.remaining() >= 8 ? body.getLong() : 0;
        if (startedAt < 0) {
            throw new PeerProtocolException("malformed", "HELLO has a negative start time");
        }
        // The flags byte is sent only on protocol 3, to followers that can acknowledge.
        boolean twoPhase = body.hasRemaining() && (body.get() & PeerFrames.HELLO_TWO_PHASE) != 0;
        return new PeerFrame.Hello(origin, lastSeq, startedAt, twoPhase);
    }

    private static PeerFrame stopped(ByteBuffer body) throws PeerProtocolException {
        int count = body.getShort() & 0xFFFF;
        if (count > PeerFrames.MAX_STOPPED) {
            throw new PeerProtocolException("malformed", "STOPPED names " + count + " origins, more than "
                    + PeerFrames.MAX_STOPPED);
        }
        List<StoppedOrigin> origins = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String origin = ascii(body, body.get() & 0xFF);
            if (!Position.isValidOrigin(origin)) {
                throw new PeerProtocolException("malformed", "STOPPED names an invalid origin '" + origin + "'");
            }
            long lastSeq = body.getLong();
            long startedAt = body.getLong();
            long silentFor = body.getLong();
            if (lastSeq < 0 || startedAt < 0 || silentFor < 0) {
                throw new PeerProtocolException("malformed", "STOPPED has a negative number for origin " + origin);
            }
            origins.add(new StoppedOrigin(origin, lastSeq, startedAt, silentFor));
        }
        return new PeerFrame.Stopped(List.copyOf(origins));
    }

    private static PeerFrame horizon(ByteBuffer body) throws PeerProtocolException {
        long horizon = body.getLong();
        if (horizon < 0) {
            throw new PeerProtocolException("malformed", "HORIZON is negative");
        }
        return new PeerFrame.Horizon(horizon);
    }

    private static long seq(ByteBuffer body, String frame) throws PeerProtocolException {
        long seq = body.getLong();
        if (seq < 1) {
            throw new PeerProtocolException("malformed", frame + " has sequence number " + seq);
        }
        return seq;
    }

    private static PeerFrame abort(ByteBuffer body) throws PeerProtocolException {
        long first = seq(body, "ABORT");
        long last = seq(body, "ABORT");
        if (last < first) {
            throw new PeerProtocolException("malformed", "ABORT of " + first + ".." + last);
        }
        return new PeerFrame.Abort(first, last);
    }

    private static PeerFrame key(ByteBuffer body) throws PeerProtocolException {
        long lastSeq = seq(body, "KEY");
        int count = body.getInt();
        boolean single = body.get() != 0;
        byte[] digest = new byte[PeerFrames.DIGEST_BYTES];
        body.get(digest);
        String key = ascii(body, body.get() & 0xFF);
        if (count < 1 || count > lastSeq || (single && count != 1) || !IdempotencyKeys.isValidKey(key)) {
            throw new PeerProtocolException("malformed", "KEY is invalid");
        }
        return new PeerFrame.Key(lastSeq, count, new IdempotencyTag(key, digest, single));
    }

    private RemoteEvent event(ByteBuffer body, String frame) throws PeerProtocolException {
        long seq = seq(body, frame);
        String stream = ascii(body, body.get() & 0xFF);
        if (!StreamName.isValid(stream)) {
            throw new PeerProtocolException("malformed", frame + " names an invalid stream");
        }
        int typeLength = body.getShort() & 0xFFFF;
        String type = null;
        if (typeLength != PeerFrames.NO_TYPE) {
            if (typeLength == 0 || typeLength > MAX_TYPE_BYTES) {
                throw new PeerProtocolException("malformed", frame + " has a type of " + typeLength + " bytes");
            }
            byte[] typeBytes = new byte[typeLength];
            body.get(typeBytes);
            type = new String(typeBytes, StandardCharsets.UTF_8);
            if (type.indexOf('\r') >= 0 || type.indexOf('\n') >= 0 || type.indexOf('\0') >= 0) {
                throw new PeerProtocolException("malformed", frame + " type contains CR, LF or NUL");
            }
        }
        int dataLength = body.remaining();
        if (dataLength == 0) {
            throw new PeerProtocolException("malformed", frame + " has no data");
        }
        if (dataLength > maxEventBytes) {
            throw new PeerProtocolException("oversized", frame + " data of " + dataLength + " bytes; the limit is "
                    + maxEventBytes);
        }
        byte[] data = new byte[dataLength];
        body.get(data);
        return new RemoteEvent(seq, stream, type, data);
    }

    private static PeerFrame gap(ByteBuffer body) throws PeerProtocolException {
        long upTo = body.getLong();
        int length = body.get() & 0xFF;
        String stream = length == 0 ? null : ascii(body, length);
        if (upTo < 1 || (stream != null && !StreamName.isValid(stream))) {
            throw new PeerProtocolException("malformed", "GAP is invalid");
        }
        return new PeerFrame.Gap(stream, upTo);
    }

    private static String ascii(ByteBuffer body, int length) {
        byte[] bytes = new byte[length];
        body.get(bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
