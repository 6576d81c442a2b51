package io.sserelay.relay.peer;

import java.nio.ByteBuffer;

/**
 * Decodes the ACK frames a follower writes in its request body, from whatever pieces the socket
 * delivers them in. Anything but a whole ACK frame is a protocol error.
 *
 * <p>Not thread-safe: the follower's connection's IO thread only.
 */
final class AckReader {

    /** Receives the acknowledged sequence numbers; false means the number is invalid. */
    interface Acks {
        boolean acknowledged(long seq);
    }

    private final byte[] frame = new byte[PeerFrames.ACK_FRAME_BYTES];
    private int filled;

    /**
     * Feeds {@code bytes} (read to its limit).
     *
     * @throws PeerProtocolException on anything but ACK frames, or an acknowledgement {@code acks} refuses
     */
    void read(ByteBuffer bytes, Acks acks) throws PeerProtocolException {
        while (bytes.hasRemaining()) {
            frame[filled++] = bytes.get();
            if (filled == PeerFrames.HEADER_BYTES) {
                ByteBuffer header = ByteBuffer.wrap(frame, 0, PeerFrames.HEADER_BYTES);
                if (header.get() != PeerFrames.ACK || header.getInt() != 8) {
                    throw new PeerProtocolException("malformed", "the follower sent something other than ACK frames");
                }
            } else if (filled == frame.length) {
                filled = 0;
                long seq = ByteBuffer.wrap(frame, PeerFrames.HEADER_BYTES, 8).getLong();
                if (seq < 1 || !acks.acknowledged(seq)) {
                    throw new PeerProtocolException("malformed", "ACK of " + seq + ", which this relay never sent");
                }
            }
        }
    }
}
