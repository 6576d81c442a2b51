package io.sserelay.bench.client;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;

/**
 * One subscriber connection of the {@link SseLoadClient} and what it received: which benchmark
 * events (exactly once, in order), resets, and the last event id it would resume from.
 *
 * <p>Threads: everything but the volatile fields is touched only by the selector thread that
 * owns the connection; scenarios read the results once the connection is closed or quiet.
 */
public final class Subscription implements SseResponseDecoder.Listener {

    /** Where a connection is in its life. */
    public enum State { CONNECTING, OPEN, CLOSED, FAILED }

    private final SseLoadClient.Worker worker;
    private final InetSocketAddress relay;
    private final String path;
    private final String resumeFrom;
    private final String token;
    private final SseResponseDecoder decoder = new SseResponseDecoder(this);
    private final BitSet seen = new BitSet();

    SocketChannel channel;
    SelectionKey key;
    ByteBuffer request;

    private volatile State state = State.CONNECTING;
    private volatile String failure;
    private volatile long highestSeq;
    private long duplicates;
    private long outOfOrder;
    private long resets;

    /** @param token a bearer token to subscribe with, or null */
    Subscription(SseLoadClient.Worker worker, InetSocketAddress relay, String path, String resumeFrom, String token) {
        this.worker = worker;
        this.relay = relay;
        this.path = path;
        this.resumeFrom = resumeFrom;
        this.token = token;
    }

    InetSocketAddress relay() {
        return relay;
    }

    ByteBuffer requestBytes() {
        StringBuilder head = new StringBuilder(256)
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(relay.getHostString()).append(':').append(relay.getPort()).append("\r\n")
                .append("Accept: text/event-stream\r\n");
        if (resumeFrom != null) {
            head.append("Last-Event-ID: ").append(resumeFrom).append("\r\n");
        }
        if (token != null) {
            head.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        return ByteBuffer.wrap(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** Selector thread: bytes of the response arrived. */
    void decode(byte[] bytes, int length) throws SseResponseDecoder.MalformedResponseException {
        decoder.feed(bytes, 0, length);
    }

    @Override
    public void onHeaders(int status) {
        if (status != 200) {
            fail("the relay answered " + status);
            return;
        }
        state = State.OPEN;
        worker.opened();
    }

    @Override
    public void onEvent(SseResponseDecoder event) {
        if (event.typeIs("reset")) {
            resets++;
            return;
        }
        long seq = EventPayload.seq(event.data(), event.dataLength());
        if (seq < 0) {
            return; // not a benchmark event
        }
        int index = Math.toIntExact(seq);
        if (seen.get(index)) {
            duplicates++;
        } else {
            seen.set(index);
        }
        if (seq < highestSeq) {
            outOfOrder++;
        } else {
            highestSeq = seq;
        }
        worker.delivered(seq, EventPayload.intendedNanos(event.data(), event.dataLength()));
    }

    @Override
    public void onEnd() {
        worker.close(this, State.CLOSED);
    }

    void fail(String reason) {
        failure = reason;
        worker.close(this, State.FAILED);
    }

    void closed(State finalState) {
        state = finalState;
    }

    public State state() {
        return state;
    }

    /** Why the connection failed, or null. */
    public String failure() {
        return failure;
    }

    /** The highest benchmark sequence number received. */
    public long highestSeq() {
        return highestSeq;
    }

    /** Read once the connection is closed or quiet: events received more than once. */
    public long duplicates() {
        return duplicates;
    }

    /** Read once the connection is closed or quiet: events that came after a higher sequence number. */
    public long outOfOrder() {
        return outOfOrder;
    }

    /** Read once the connection is closed or quiet: reset events (the relay could not resume). */
    public long resets() {
        return resets;
    }

    /** Read once the connection is closed or quiet: sequence numbers in [from, to] never received. */
    public long missing(long from, long to) {
        long expected = to - from + 1;
        return expected - seen.get(Math.toIntExact(from), Math.toIntExact(to) + 1).cardinality();
    }

    /** Read once the connection is closed or quiet: distinct benchmark events received. */
    public long distinct() {
        return seen.cardinality();
    }

    /** Read once the connection is closed or quiet: a copy of the sequence numbers received. */
    public BitSet seen() {
        return (BitSet) seen.clone();
    }

    /** The id a browser would send in {@code Last-Event-ID} when it reconnects. */
    public String lastEventId() {
        return decoder.lastEventId();
    }
}
