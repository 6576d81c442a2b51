package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.MessageCodec.MalformedFrameException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a byte stream into frames as it arrives in pieces of any size, puts fragmented messages
 * back together and decodes each message. A frame of length 0 is a keepalive and decodes to
 * nothing. Holds at most one frame's bytes and one message's. Not thread-safe: one per connection.
 */
public final class FrameDecoder<P> {

    private final MessageCodec<P> codec;
    private final ByteBuffer header = ByteBuffer.allocate(4);
    private ByteBuffer content;
    /** The fragments of a message received so far, or null between messages. */
    private ByteBuffer assembly;

    public FrameDecoder(MessageCodec<P> codec) {
        this.codec = codec;
    }

    /**
     * The envelopes completed by {@code bytes}; throws {@link MalformedFrameException} for a bad
     * frame. A frame that {@code bytes} holds whole is decoded where it lies; only one that arrives
     * in pieces is gathered into a buffer of its own. Decoding copies what it keeps, so the caller
     * may reuse {@code bytes}.
     */
    public List<Envelope> feed(ByteBuffer bytes) {
        List<Envelope> envelopes = new ArrayList<>();
        while (bytes.hasRemaining()) {
            if (content == null) {
                int announced;
                if (header.position() == 0 && bytes.remaining() >= 4) {
                    announced = bytes.getInt();
                } else {
                    while (header.hasRemaining() && bytes.hasRemaining()) {
                        header.put(bytes.get());
                    }
                    if (header.hasRemaining()) {
                        break;
                    }
                    announced = header.flip().getInt();
                    header.clear();
                }
                if (announced == 0) {
                    continue;
                }
                int length = codec.frameLength(announced);
                if (bytes.remaining() >= length) {
                    ByteBuffer frame = bytes.slice(bytes.position(), length);
                    bytes.position(bytes.position() + length);
                    add(envelopes, complete(frame));
                    continue;
                }
                content = ByteBuffer.allocate(length);
            }
            int take = Math.min(content.remaining(), bytes.remaining());
            content.put(bytes.slice(bytes.position(), take));
            bytes.position(bytes.position() + take);
            if (!content.hasRemaining()) {
                add(envelopes, complete(content.flip()));
                content = null;
            }
        }
        return envelopes;
    }

    private static void add(List<Envelope> envelopes, Envelope envelope) {
        if (envelope != null) {
            envelopes.add(envelope);
        }
    }

    private Envelope complete(ByteBuffer frame) {
        int kind = frame.get(frame.position()) & 0xff;
        if (kind != MessageCodec.FRAGMENT && kind != MessageCodec.LAST_FRAGMENT) {
            if (assembly != null) {
                throw new MalformedFrameException("a message's fragments end without their last");
            }
            return codec.decode(frame);
        }
        frame.get();
        if (assembly == null) {
            assembly = ByteBuffer.allocate(Math.min(codec.maxMessageBytes(), Math.max(frame.remaining() * 4, 1 << 16)));
        }
        if (assembly.remaining() < frame.remaining()) {
            long needed = (long) assembly.position() + frame.remaining();
            if (needed > codec.maxMessageBytes()) {
                throw new MalformedFrameException("a fragmented message is over the limit of "
                        + codec.maxMessageBytes() + " bytes");
            }
            ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(codec.maxMessageBytes(), Math.max(needed,
                    2L * assembly.capacity())));
            bigger.put(assembly.flip());
            assembly = bigger;
        }
        assembly.put(frame);
        if (kind == MessageCodec.FRAGMENT) {
            return null;
        }
        ByteBuffer message = assembly.flip();
        assembly = null;
        return codec.decode(message);
    }
}
