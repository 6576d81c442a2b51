package io.sserelay.relay.sse;

import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.stream.CatchUp;
import io.sserelay.relay.stream.Cursor;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.ResetReason;
import io.sserelay.relay.stream.Subscriber;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One subscriber's event stream: the SSE framing of a {@link StreamingResponse}. What the
 * subscriber is sent, and with which ids, is its {@link Cursor}'s decision; this writes it.
 *
 * <p>A catch-up's frames are queued outside the connection's buffer bound (they share the
 * history's memory); live events count against it, and every connection shares each event's
 * frames ({@link SseFrames}) unless its cursor gives it an id of its own.
 */
public final class SseConnection extends StreamingResponse implements Subscriber {

    static final HttpString X_ACCEL_BUFFERING = new HttpString("X-Accel-Buffering");
    private static final ByteBuffer HEARTBEAT = SseEncoder.comment("");
    private static final ByteBuffer SHUTTING_DOWN = SseEncoder.comment("relay shutting down; reconnect to resume");
    private static final ByteBuffer CREDENTIAL_EXPIRED =
            SseEncoder.comment("token expired; reconnect with a fresh token to resume");

    private final List<String> streams;
    private final boolean multiStream;
    private final Consumer<SseConnection> onClosed;
    private final SseSettings settings;
    private final RelayMetrics metrics;
    private final Cursor cursor;
    /** Set by whichever ends the stream first: its credential's expiry, or the relay going away. */
    private final AtomicBoolean ending = new AtomicBoolean();
    /** Writes live events: within the buffer's bound. */
    private final Cursor.Delivery liveFrames = new Frames(true);

    /**
     * @param multiStream true for {@code /events}: events without a type are typed with their
     *                    stream name
     * @param floorLifetime how long a floor may wait for this relay to learn an origin: the
     *                    history's maximum age (see {@link Cursor})
     * @param onClosed    runs once on the IO thread when the connection ends for any reason;
     *                    it must unsubscribe this connection from the hub
     */
    public SseConnection(HttpServerExchange exchange, SseWriters writers, List<String> streams, boolean multiStream,
            Duration floorLifetime, Consumer<SseConnection> onClosed) {
        super(exchange, writers, writers.metrics().subscriberWrites());
        this.streams = List.copyOf(streams);
        this.multiStream = multiStream;
        this.onClosed = onClosed;
        this.settings = writers.settings();
        this.metrics = writers.metrics();
        this.cursor = new Cursor(this.streams, floorLifetime, System::nanoTime);
    }

    public List<String> streams() {
        return streams;
    }

    @Override
    public void onCatchUp(CatchUp catchUp) {
        offerFrame(SseEncoder.retry(settings.retry().toMillis()));
        // A catch-up is written outside the buffer's bound, and only once.
        cursor.start(catchUp, new Frames(false));
        if (!catchUp.replay().isEmpty()) {
            metrics.replayed(catchUp.replay().size());
        }
        flushSoon();
    }

    @Override
    public void onEvent(Event event) {
        cursor.offer(event, liveFrames);
    }

    @Override
    public boolean onOriginLearned(String origin, long lastSeq) {
        return cursor.originLearned(origin, lastSeq, liveFrames);
    }

    @Override
    public void onGap(List<String> gapStreams) {
        offerFrame(SseEncoder.reset(gapStreams, ResetReason.HISTORY, ResetReason.HISTORY_MESSAGE, null));
        flushSoon();
    }

    /**
     * Ends this stream when the credential it was opened with expires, at {@code expiresAtMillis}
     * (milliseconds since the epoch): the client is told to reconnect, with the fresh credential
     * its page has by then, and resumes from its last event id.
     */
    public void endWhenCredentialExpires(long expiresAtMillis) {
        endAt(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(expiresAtMillis - System.currentTimeMillis()));
    }

    @Override
    protected void deadlineReached() {
        if (!ending.compareAndSet(false, true)) {
            return;
        }
        long base = settings.retry().toMillis();
        offerFrame(CREDENTIAL_EXPIRED.duplicate());
        offerFrame(SseEncoder.retry(base + ThreadLocalRandom.current().nextLong(base + 1)));
        finish();
    }

    @Override
    public void onRelayClosing() {
        if (!ending.compareAndSet(false, true)) {
            return; // told already: the relay left its cluster, then shut down
        }
        long base = settings.shutdownRetry().toMillis();
        offerFrame(SHUTTING_DOWN.duplicate());
        offerFrame(SseEncoder.retry(base + ThreadLocalRandom.current().nextLong(base + 1)));
        finish();
    }

    @Override
    protected ByteBuffer frameOf(Event event) {
        return SseFrames.of(event, multiStream);
    }

    @Override
    protected ByteBuffer heartbeatFrame() {
        return HEARTBEAT;
    }

    @Override
    protected void prepareResponse(HttpServerExchange exchange) {
        setEventStreamHeaders(exchange);
    }

    /** 200 and the headers of an event stream; proxies must neither cache nor buffer it. */
    public static void setEventStreamHeaders(HttpServerExchange exchange) {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders()
                .put(Headers.CONTENT_TYPE, "text/event-stream")
                .put(Headers.CACHE_CONTROL, "no-cache")
                .put(X_ACCEL_BUFFERING, "no");
    }

    @Override
    protected void opened() {
        metrics.connectionOpened();
    }

    @Override
    protected void onClosed() {
        if (isStarted()) {
            metrics.connectionClosed();
        }
        onClosed.accept(this);
    }

    /** A cursor's decisions as SSE frames; {@code live} ones count against the buffer. */
    private final class Frames implements Cursor.Delivery {

        private final boolean live;

        Frames(boolean live) {
            this.live = live;
        }

        @Override
        public void reset(List<String> resetStreams, ResetReason reason, String message, Position continueFrom) {
            if (reason == ResetReason.FLOOR_EXPIRED) {
                metrics.floorExpiredUnknown();
            }
            offerFrame(SseEncoder.reset(resetStreams, reason, message, continueFrom == null ? null : continueFrom.format()));
            flushSoon();
        }

        @Override
        public void event(Event event) {
            if (live) {
                offerEvent(event);
            } else {
                offerFrame(frameOf(event).duplicate());
            }
        }

        @Override
        public void event(Event event, Position id) {
            ByteBuffer frame = SseFrames.withId(event, id, multiStream);
            if (live) {
                offerOwnFrame(frame);
            } else {
                offerFrame(frame);
            }
        }

        @Override
        public void position(Position id) {
            offerFrame(SseEncoder.id(id.format()));
        }
    }
}
