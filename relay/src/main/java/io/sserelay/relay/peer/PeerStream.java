package io.sserelay.relay.peer;

import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.sse.StreamingResponse;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.HeldBatch;
import io.sserelay.relay.stream.HeldEvent;
import io.sserelay.relay.stream.OriginCatchUp;
import io.sserelay.relay.stream.PeerSubscriber;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The stream this relay sends to one peer that follows it: a HELLO, what the peer missed
 * (GAP frames for events no longer retained, then the retained events), then every event
 * this relay accepts, all on one persistent response. Writes are batched by the IO thread's
 * gathering writes. A peer that falls behind by more than the buffer is cut off, like a slow
 * subscriber, and catches up from the history when it reconnects: nobody here waits for it.
 *
 * <p>A follower that came with a request body to acknowledge in ({@code POST}) and a relay that
 * replicates publishes make the stream two-phase: replicated publishes go out as PENDING when
 * they are numbered, then COMMIT or ABORT, and the ACK frames the follower writes in its body are
 * handed to {@code acks} as they arrive (on the IO thread).
 */
final class PeerStream extends StreamingResponse implements PeerSubscriber {

    private static final Logger LOG = LoggerFactory.getLogger(PeerStream.class);

    private final PeerAddress peer;
    private final Consumer<PeerStream> onClosed;
    private final int protocol;
    /** Null when this relay does not replicate publishes: the stream is then one-phase. */
    private final AckReader.Acks acks;
    private final RelayMetrics metrics;
    private final AckReader ackReader = new AckReader();
    /** The last PENDING sequence number queued to this follower; written under the hub's lock. */
    private volatile long offeredUpTo;
    /** IO thread only: the follower broke the protocol and is being dropped. */
    private boolean refused;

    /**
     * @param protocol the peer protocol version of the follow request: 1 or 2 for a GET, 3 for a
     *                 POST whose body carries acknowledgements
     * @param acks     where acknowledgements go, or null when this relay does not replicate
     */
    PeerStream(HttpServerExchange exchange, SseWriters writers, PeerAddress peer, int protocol,
            Consumer<PeerStream> onClosed, AckReader.Acks acks) {
        super(exchange, writers, writers.metrics().peerWrites());
        this.peer = peer;
        this.protocol = protocol;
        this.onClosed = onClosed;
        this.acks = acks;
        this.metrics = writers.metrics();
    }

    PeerAddress peer() {
        return peer;
    }

    /** Whether the follower sent a request body to acknowledge in (protocol 3). */
    boolean acknowledges() {
        return protocol >= PeerHandler.ACKNOWLEDGING_PROTOCOL;
    }

    @Override
    public boolean holdsPending() {
        return acknowledges() && acks != null;
    }

    @Override
    public void onCatchUp(OriginCatchUp catchUp) {
        offerFrame(acknowledges()
                ? PeerFrames.hello(catchUp.origin(), catchUp.lastSeq(), catchUp.startedAt(), holdsPending())
                : PeerFrames.hello(catchUp.origin(), catchUp.lastSeq(), protocol >= 2 ? catchUp.startedAt() : 0));
        if (acknowledges() && !catchUp.stopped().isEmpty()) {
            // Relays that stopped before the follower joined: it learns of them only here.
            offerFrame(PeerFrames.stopped(catchUp.stopped()));
        }
        if (catchUp.evictedAnyStream() > 0) {
            offerFrame(PeerFrames.gap("", catchUp.evictedAnyStream()));
        }
        catchUp.evictedStreams().forEach((stream, upTo) -> offerFrame(PeerFrames.gap(stream, upTo)));
        for (Event event : catchUp.replay()) {
            offerFrame(frameOf(event).duplicate());
        }
        catchUp.held().forEach(this::onHeld);
        if (holdsPending()) {
            // Tells the follower that what it held before and was sent neither way was aborted.
            offerFrame(PeerFrames.CAUGHT_UP.duplicate());
        }
        flushSoon();
    }

    @Override
    public void onEvent(Event event) {
        offerEvent(event);
    }

    /**
     * Outside the peer's buffer, like a catch-up: the origin's publish budget bounds what it
     * holds, and a follower cut off for it would come back to the same held events, and no ACK
     * would arrive meanwhile.
     */
    @Override
    public void onHeld(HeldBatch batch) {
        // Before the frames can be written: the follower may acknowledge them at once.
        offeredUpTo = batch.lastSeq();
        for (HeldEvent event : batch.events()) {
            offerFrame(event.frame(PeerFrames::pending));
        }
        if (batch.tag() != null) {
            offerFrame(PeerFrames.key(batch.lastSeq(), batch.events().size(), batch.tag()));
        }
        flushSoon();
    }

    @Override
    public void onCommitted(long upTo) {
        offerFrame(PeerFrames.commit(upTo));
        flushSoon();
    }

    @Override
    public void onAborted(long firstSeq, long lastSeq) {
        offerFrame(PeerFrames.abort(firstSeq, lastSeq));
        flushSoon();
    }

    @Override
    public void onHorizon(long horizon) {
        if (protocol >= 2 && horizon > 0) {
            offerFrame(PeerFrames.horizon(horizon));
            flushSoon();
        }
    }

    @Override
    public void onRelayClosing() {
        finish();
    }

    @Override
    protected void received(ByteBuffer bytes) {
        if (!acknowledges() || refused) {
            return; // an older follower's GET: whatever it sends is not ours to read
        }
        try {
            // Only what this follower was sent: another follower's acknowledgement is no proof.
            ackReader.read(bytes, seq -> seq <= offeredUpTo && acks != null && acks.acknowledged(seq));
        } catch (PeerProtocolException e) {
            refused = true;
            metrics.peerFrameRejected(e.reason());
            LOG.warn("dropped follower {}: {}", peer, e.getMessage());
            closeSoon();
        }
    }

    @Override
    protected ByteBuffer frameOf(Event event) {
        return event.peerFrame(PeerFrames::event);
    }

    @Override
    protected ByteBuffer heartbeatFrame() {
        return PeerFrames.HEARTBEAT;
    }

    @Override
    protected void prepareResponse(HttpServerExchange exchange) {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, PeerFrames.CONTENT_TYPE);
    }

    @Override
    protected void onClosed() {
        onClosed.accept(this);
    }
}
