package io.sserelay.relay.sse;

import io.sserelay.relay.cluster.ClusterNode;
import io.sserelay.relay.cluster.Entry;
import io.sserelay.relay.cluster.EventId;
import io.sserelay.relay.cluster.StreamIds;
import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.stream.Published;
import io.sserelay.relay.stream.ResetReason;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One subscriber's event stream: the SSE framing of a {@link StreamingResponse}, fed by the
 * cluster protocol ({@link ClusterNode.Subscriber}), which decides what the subscriber gets and in
 * which order; this writes it.
 *
 * <p>On {@code /streams/{stream}} an event's id is its place in the stream, and every subscriber
 * of the relay shares the event's frame ({@link Published#frame}). On {@code /events} the id names
 * the connection's place in each of its streams ({@link StreamIds}), so each event's frame is the
 * connection's own, and an event without a type is typed with its stream's name.
 *
 * <p>Threads: the protocol's callbacks come from its one thread, which alone touches the places;
 * the frames go out on the connection's IO thread.
 */
public final class SseConnection extends StreamingResponse implements ClusterNode.Subscriber<Published> {

    static final HttpString X_ACCEL_BUFFERING = new HttpString("X-Accel-Buffering");
    private static final ByteBuffer HEARTBEAT = SseEncoder.comment("");
    private static final ByteBuffer SHUTTING_DOWN = SseEncoder.comment("relay shutting down; reconnect to resume");
    private static final ByteBuffer LEAVING = SseEncoder.comment("relay leaving its cluster; reconnect to resume");
    private static final ByteBuffer CREDENTIAL_EXPIRED =
            SseEncoder.comment("token expired; reconnect with a fresh token to resume");

    private final List<String> streams;
    private final boolean multiStream;
    private final Consumer<SseConnection> onClosed;
    private final SseWriters writers;
    private final SseSettings settings;
    private final RelayMetrics metrics;
    /** On {@code /events}: each stream's place, null for before its first event; streams not yet placed are absent. */
    private final Map<String, EventId> places = new HashMap<>();
    /** Set by whichever ends the stream first: its credential's expiry, or the relay going away. */
    private final AtomicBoolean ending = new AtomicBoolean();

    /**
     * @param multiStream true for {@code /events}
     * @param onClosed    runs once when the connection ends for any reason; it must unsubscribe
     *                    this connection
     */
    public SseConnection(HttpServerExchange exchange, SseWriters writers, List<String> streams, boolean multiStream,
            Consumer<SseConnection> onClosed) {
        super(exchange, writers, writers.metrics().subscriberWrites());
        this.streams = List.copyOf(streams);
        this.multiStream = multiStream;
        this.onClosed = onClosed;
        this.writers = writers;
        this.settings = writers.settings();
        this.metrics = writers.metrics();
        offerFrame(SseEncoder.retry(settings.retry().toMillis()));
    }

    public List<String> streams() {
        return streams;
    }

    /**
     * Before the protocol is asked for anything: where {@code /events} resumes from, each stream
     * that the id names (null for before its first event).
     */
    public void resumeFrom(Map<String, EventId> resumed) {
        places.putAll(resumed);
    }

    /**
     * The id the client sent cannot be resumed from ({@code reason} says why): it is told, and
     * continues from now on every stream.
     */
    public void refuseResume(ResetReason reason, String message) {
        String text = message + "; continuing from the current position";
        if (multiStream) {
            offerFrame(SseEncoder.reset(streams, reason, text, null)); // each stream's place follows as it is known
            flushSoon();
        } else {
            refusal = new Refusal(reason, text); // told with the place it continues from, once that is known
        }
    }

    /** On {@code /streams/{stream}}: a refused id, told with the stream's current place. */
    private record Refusal(ResetReason reason, String message) {
    }

    private Refusal refusal;

    @Override
    public void onPosition(String stream, EventId at) {
        if (multiStream) {
            places.put(stream, at);
            offerFrame(SseEncoder.id(StreamIds.format(places)));
        } else {
            String id = at == null ? EventId.START : at.toString();
            if (refusal != null) {
                offerFrame(SseEncoder.reset(streams, refusal.reason(), refusal.message(), id));
                refusal = null;
            } else {
                offerFrame(SseEncoder.id(id));
            }
        }
        flushSoon();
    }

    @Override
    public void onEvent(String stream, Entry<Published> entry) {
        onEvents(stream, List.of(entry));
    }

    /**
     * On {@code /streams/{stream}} the events' frames go as one entry that every subscriber
     * handed the same list shares, one event or many: a subscriber that keeps up costs an event
     * one queue node and no entry of its own, which could outlive a young collection while it
     * waits (S1's paced run, docs/performance.md). On {@code /events} each frame is this
     * connection's own.
     */
    @Override
    public void onEvents(String stream, List<Entry<Published>> entries) {
        if (multiStream) {
            for (Entry<Published> entry : entries) {
                offerOwnEvent(frameOnEvents(stream, entry), entry.payload().publishedAtMillis());
            }
        } else {
            offerBatch(writers.sharedFrames(entries, SseConnection::sharedFrame, entries.get(0).payload().publishedAtMillis()));
        }
    }

    private static ByteBuffer sharedFrame(Entry<Published> entry) {
        return entry.payload().frame(entry.id());
    }

    @Override
    public void onCatchUp(String stream, List<Entry<Published>> entries) {
        // What it missed is written outside the buffer's bound: on /streams/{stream} the frames are
        // the history's, shared; on /events they are this connection's, and the shared budget counts them.
        for (Entry<Published> entry : entries) {
            if (multiStream) {
                offerOwnCatchUp(frameOnEvents(stream, entry));
            } else {
                offerCatchUp(entry.payload().frame(entry.id()));
            }
        }
        metrics.replayed(entries.size());
        flushSoon();
    }

    @Override
    public void onReset(String stream, EventId resumeFrom) {
        String id;
        if (multiStream) {
            places.put(stream, resumeFrom);
            id = StreamIds.format(places);
        } else {
            id = resumeFrom == null ? EventId.START : resumeFrom.toString();
        }
        metrics.reset();
        offerFrame(SseEncoder.reset(List.of(stream), ResetReason.HISTORY, ResetReason.HISTORY_MESSAGE, id));
        flushSoon();
    }

    /** On {@code /events}: the event with the connection's places after it as its id. */
    private ByteBuffer frameOnEvents(String stream, Entry<Published> entry) {
        places.put(stream, entry.id());
        Published event = entry.payload();
        return SseEncoder.event(StreamIds.format(places), event.type() == null ? stream : event.type(), event.data());
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
        end(CREDENTIAL_EXPIRED, settings.retry());
    }

    /** The relay is shutting down: everything queued goes out, then the signal to reconnect elsewhere. */
    public void relayClosing() {
        end(SHUTTING_DOWN, settings.shutdownRetry());
    }

    /** The relay is leaving its cluster: as {@link #relayClosing()}, with its own words. */
    public void relayLeaving() {
        end(LEAVING, settings.shutdownRetry());
    }

    private void end(ByteBuffer why, Duration retry) {
        if (!ending.compareAndSet(false, true)) {
            return; // told already
        }
        long base = retry.toMillis();
        offerFrame(why.duplicate());
        offerFrame(SseEncoder.retry(base + ThreadLocalRandom.current().nextLong(base + 1)));
        finish();
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
}
