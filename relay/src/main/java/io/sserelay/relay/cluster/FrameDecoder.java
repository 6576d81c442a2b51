package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.MessageCodec.MalformedFrameException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a byte stream into frames as it arrives in pieces of any size, and decodes each. A frame
 * of length 0 is a keepalive and decodes to nothing. Holds at most one frame's bytes. Not
 * thread-safe: one per connection.
 */
public final class FrameDecoder<P> {

    private final MessageCodec<P> codec;
    private final ByteBuffer header = ByteBuffer.allocate(4);
    private ByteBuffer content;

    public FrameDecoder(MessageCodec<P> codec) {
        this.codec = codec;
    }

    /** The envelopes completed by {@code bytes}; throws {@link MalformedFrameException} for a bad frame. */
    public List<Envelope> feed(ByteBuffer bytes) {
        List<Envelope> envelopes = new ArrayList<>();
        while (bytes.hasRemaining()) {
            if (content == null) {
                while (header.hasRemaining() && bytes.hasRemaining()) {
                    header.put(bytes.get());
                }
                if (header.hasRemaining()) {
                    break;
                }
                int announced = header.flip().getInt();
                header.clear();
                if (announced == 0) {
                    continue;
                }
                content = ByteBuffer.allocate(codec.frameLength(announced));
            }
            int take = Math.min(content.remaining(), bytes.remaining());
            content.put(bytes.slice(bytes.position(), take));
            bytes.position(bytes.position() + take);
            if (!content.hasRemaining()) {
                envelopes.add(codec.decode(content.flip()));
                content = null;
            }
        }
        return envelopes;
    }
}
