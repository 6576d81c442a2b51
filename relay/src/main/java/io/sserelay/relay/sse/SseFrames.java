package io.sserelay.relay.sse;

import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.EventEncoder;
import io.sserelay.relay.stream.HeapCost;
import io.sserelay.relay.stream.Position;

import java.nio.ByteBuffer;

/**
 * An event's SSE frames, encoded once when the hub accepts it and shared by every connection
 * that sends it: each writes a duplicate of the same read-only buffer.
 */
public final class SseFrames implements EventEncoder.Encoded {

    /** The encoder the hub is given: every event it accepts gets its frames at once. */
    public static final EventEncoder ENCODER = SseFrames::new;

    private final ByteBuffer frame;
    private final ByteBuffer multiStreamFrame;

    private SseFrames(String stream, String type, byte[] data, Position id) {
        String text = id.format();
        this.frame = SseEncoder.event(text, type, data);
        // On a connection that carries several streams, an event without a type of its own is
        // typed with its stream name, so a browser can tell streams apart with addEventListener.
        this.multiStreamFrame = type == null ? SseEncoder.event(text, stream, data) : frame;
    }

    /** The shared frame of {@code event}; callers write a duplicate and never change it. */
    public static ByteBuffer of(Event event, boolean multiStream) {
        SseFrames frames = (SseFrames) event.encoded();
        return multiStream ? frames.multiStreamFrame : frames.frame;
    }

    /**
     * {@code event}'s frame with another id, for the rare subscriber whose position is ahead of
     * this relay's on some origin (it resumed here from a relay that was further along).
     */
    public static ByteBuffer withId(Event event, Position id, boolean multiStream) {
        String type = event.type();
        return SseEncoder.event(id.format(), type == null && multiStream ? event.stream() : type, event.data());
    }

    @Override
    public long heapBytes() {
        long bytes = HeapCost.object(2) + HeapCost.buffer(frame.capacity());
        if (multiStreamFrame != frame) {
            bytes += HeapCost.buffer(multiStreamFrame.capacity());
        }
        return bytes;
    }
}
