package io.sserelay.relay.stream;

import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * An event of this relay's origin that is numbered but not committed: a replicated publish waiting
 * for a peer to acknowledge it. It is in no history and no position, and no subscriber has it.
 */
public final class HeldEvent {

    private final long seq;
    private final String stream;
    private final String type;
    private final byte[] data;
    /** The frame peers are sent, encoded on first use and shared by every peer; see {@link #frame}. */
    private volatile ByteBuffer frame;

    HeldEvent(long seq, String stream, String type, byte[] data) {
        this.seq = seq;
        this.stream = stream;
        this.type = type;
        this.data = data;
    }

    public long seq() {
        return seq;
    }

    public String stream() {
        return stream;
    }

    /** The event type, or null for the default {@code message}. */
    public String type() {
        return type;
    }

    /** The data without copying; read-only. */
    public ByteBuffer dataView() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer();
    }

    byte[] data() {
        return data;
    }

    /** As {@link Event#peerFrame}: encoded once by {@code encoder}; an equal frame may win a race. */
    public ByteBuffer frame(Function<HeldEvent, ByteBuffer> encoder) {
        ByteBuffer encoded = frame;
        if (encoded == null) {
            encoded = encoder.apply(this);
            frame = encoded;
        }
        return encoded;
    }
}
