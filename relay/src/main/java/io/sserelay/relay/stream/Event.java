package io.sserelay.relay.stream;

import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * One accepted event: its data, where it stands in the log, and its encoded form
 * ({@link #encoded()}), made once by the hub's {@link EventEncoder} and shared by every
 * connection that sends it.
 *
 * <p>{@link #position()} is where a reader stands after this event on this relay: the relay's
 * position over all streams when it accepted (or received) the event. It is the event's id.
 */
public final class Event {

    private final String stream;
    private final String origin;
    private final long seq;
    private final long index;
    private final String type;
    private final byte[] data;
    private final Position position;
    private final long acceptedNanos;
    private final EventEncoder.Encoded encoded;
    /** The frame peers are sent, encoded on first use; see {@link #peerFrame}. */
    private volatile ByteBuffer peerFrame;
    /** Set by the history, under the hub's lock, when it keeps the event; never cleared. */
    boolean retained;
    /** When the history let the event go ({@link System#nanoTime()}); written before {@link #evicted}. */
    long evictedAtNanos;
    /** Set by the history, under the hub's lock, once the event has left it. */
    volatile boolean evicted;
    private final long heapBytes;

    /**
     * @param sentToPeers whether peers will be sent this event, so that its peer frame (made on
     *                    first use) is counted in its heap from the start
     */
    Event(String stream, String origin, long seq, long index, String type, byte[] data, Position position,
            long acceptedNanos, EventEncoder encoder, boolean sentToPeers) {
        this.stream = stream;
        this.origin = origin;
        this.seq = seq;
        this.index = index;
        this.type = type;
        this.data = data;
        this.position = position;
        this.acceptedNanos = acceptedNanos;
        this.encoded = encoder.encode(stream, type, data, position);
        this.heapBytes = heapBytes(sentToPeers);
    }

    public String stream() {
        return stream;
    }

    public String origin() {
        return origin;
    }

    public long seq() {
        return seq;
    }

    /** The order in which this relay accepted or received the event, across all streams. */
    public long index() {
        return index;
    }

    /** The event type, or null for the default {@code message}. */
    public String type() {
        return type;
    }

    public byte[] data() {
        return data.clone();
    }

    /** The data without copying; read-only. */
    public ByteBuffer dataView() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer();
    }

    public Position position() {
        return position;
    }

    public long acceptedNanos() {
        return acceptedNanos;
    }

    /**
     * Whether the history kept this event when it was accepted, so that its memory was counted
     * there; decided before anyone is handed the event, and never changed.
     */
    public boolean wasRetained() {
        return retained;
    }

    /** Whether the event has left the history since; any thread. */
    public boolean evicted() {
        return evicted;
    }

    /** When the event left the history ({@link System#nanoTime()}); any thread, once {@link #evicted()} is true. */
    public long evictedAtNanos() {
        return evictedAtNanos;
    }

    /** The encoded form the hub's {@link EventEncoder} made; shared, never changed. */
    public EventEncoder.Encoded encoded() {
        return encoded;
    }

    /**
     * The frame sent to peers, encoded once by {@code encoder} on first use and then shared.
     * Two threads may race to encode it; both results are equal, so either may win.
     */
    public ByteBuffer peerFrame(Function<Event, ByteBuffer> encoder) {
        ByteBuffer frame = peerFrame;
        if (frame == null) {
            frame = encoder.apply(this);
            peerFrame = frame;
        }
        return frame;
    }

    /** Heap held by this event while it is in the history; the same on every call. */
    long retainedBytes() {
        return heapBytes;
    }

    /**
     * The event, its data and encoded form, its position (whose origins array it shares with
     * the relay's head) and id text, its type, and its queue slots. The stream name is shared
     * with the stream's log and counted there.
     */
    private long heapBytes(boolean sentToPeers) {
        long bytes = HeapCost.EVENT + HeapCost.byteArray(data.length) + encoded.heapBytes()
                + HeapCost.POSITION + HeapCost.longArray(position.size()) + HeapCost.string(position.format())
                + HeapCost.string(type) + HeapCost.QUEUE_SLOTS;
        if (sentToPeers) {
            // The peer frame carries the stream, type, data and a header of a few dozen bytes.
            bytes += HeapCost.buffer(64 + stream.length() + (type == null ? 0 : 4 * type.length()) + data.length);
        }
        return bytes;
    }
}
