package io.sserelay.relay.stream;

import io.sserelay.relay.cluster.EventId;
import io.sserelay.relay.sse.SseEncoder;

import java.nio.ByteBuffer;

/**
 * One published event as the cluster protocol carries and keeps it: its type (null for the
 * default {@code message}), its UTF-8 data and when the relay that took it was asked to publish
 * it, in wall-clock milliseconds (retention by age counts from there).
 *
 * <p>Its frame on a {@code /streams/{stream}} connection is made once, on first use, and shared
 * by every such subscriber of the relay: all of them see the event with the same id. Read by any
 * thread; two threads may race to make the frame, and either result serves.
 */
public final class Published {

    private final String type;
    private final byte[] data;
    private final long publishedAtMillis;
    private final long heapBytes;
    private volatile Frame frame;

    private record Frame(EventId id, ByteBuffer bytes) {
    }

    public Published(String type, byte[] data, long publishedAtMillis) {
        this.type = type;
        this.data = data;
        this.publishedAtMillis = publishedAtMillis;
        this.heapBytes = HeapCost.object(7) + HeapCost.byteArray(data.length) + HeapCost.string(type)
                + HeapCost.object(2) + HeapCost.buffer(frameBytes(type, data));
    }

    /** The size of the event's frame with the longest id: {@code data: } per line, the id and the type. */
    private static int frameBytes(String type, byte[] data) {
        int lines = 1;
        for (byte b : data) {
            if (b == '\n' || b == '\r') {
                lines++;
            }
        }
        return data.length + lines * 7 + 6 + EventId.MAX_TEXT_LENGTH
                + (type == null ? 0 : 9 + 3 * type.length()) + 2;
    }

    /** The type, or null for the default {@code message}. */
    public String type() {
        return type;
    }

    /** The data itself, not a copy: never changed, by anyone. */
    public byte[] data() {
        return data;
    }

    public long publishedAtMillis() {
        return publishedAtMillis;
    }

    /** The event's frame with id {@code id}, shared; callers write a duplicate and never change it. */
    public ByteBuffer frame(EventId id) {
        Frame made = frame;
        if (made == null || !made.id().equals(id)) {
            made = new Frame(id, SseEncoder.event(id.toString(), type, data));
            frame = made;
        }
        return made.bytes();
    }

    /**
     * Heap this event holds in a copy of its stream: itself, its data and type, and the frame a
     * subscriber makes it keep (counted from the start, so that the figure does not change).
     */
    public long heapBytes() {
        return heapBytes;
    }
}
