package io.sserelay.relay.peer;

import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.sse.StreamingResponse;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.OriginCatchUp;
import io.sserelay.relay.stream.PeerSubscriber;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The stream this relay sends to one peer that follows it: a HELLO, what the peer missed
 * (GAP frames for events no longer retained, then the retained events), then every event
 * this relay accepts, all on one persistent response. Writes are batched by the IO thread's
 * gathering writes. A peer that falls behind by more than the buffer is cut off, like a slow
 * subscriber, and catches up from the history when it reconnects: nobody here waits for it.
 */
final class PeerStream extends StreamingResponse implements PeerSubscriber {

    private final PeerAddress peer;
    private final Consumer<PeerStream> onClosed;
    private final int protocol;

    /** @param protocol the peer protocol version the follower asked for (1 or 2) */
    PeerStream(HttpServerExchange exchange, SseWriters writers, PeerAddress peer, int protocol,
            Consumer<PeerStream> onClosed) {
        super(exchange, writers);
        this.peer = peer;
        this.protocol = protocol;
        this.onClosed = onClosed;
    }

    PeerAddress peer() {
        return peer;
    }

    @Override
    public void onCatchUp(OriginCatchUp catchUp) {
        offerFrame(PeerFrames.hello(catchUp.origin(), catchUp.lastSeq(), protocol >= 2 ? catchUp.startedAt() : 0));
        if (catchUp.evictedAnyStream() > 0) {
            offerFrame(PeerFrames.gap("", catchUp.evictedAnyStream()));
        }
        catchUp.evictedStreams().forEach((stream, upTo) -> offerFrame(PeerFrames.gap(stream, upTo)));
        for (Event event : catchUp.replay()) {
            offerFrame(frameOf(event).duplicate());
        }
        flushSoon();
    }

    @Override
    public void onEvent(Event event) {
        offerEvent(event);
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
