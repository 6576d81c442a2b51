package io.sserelay.relay.sse;

import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.stream.CatchUp;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.Subscriber;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One subscriber's event stream: the SSE framing of a {@link StreamingResponse}.
 *
 * <p>A subscriber that resumes here from a relay that was further along on some origin has
 * a <em>floor</em>: events it has already seen are skipped when they arrive, and its ids keep
 * the higher entries, so a later resume anywhere still starts from where it really is. Until
 * this relay catches up (or the history's age has passed and no relay can still hold those
 * events), such a subscriber's frames are encoded for it alone; everyone else shares frames.
 * The floor is touched only under the hub's lock.
 */
public final class SseConnection extends StreamingResponse implements Subscriber {

    static final HttpString X_ACCEL_BUFFERING = new HttpString("X-Accel-Buffering");
    private static final ByteBuffer HEARTBEAT = SseEncoder.comment("");
    private static final ByteBuffer SHUTTING_DOWN = SseEncoder.comment("relay shutting down; reconnect to resume");

    private final List<String> streams;
    private final boolean multiStream;
    private final Consumer<SseConnection> onClosed;
    private final SseSettings settings;
    private final RelayMetrics metrics;
    private final long floorLifetimeNanos;
    private Position floor;
    private long floorDeadlineNanos;
    /** Why the position the client asked to resume from was not used, or null. */
    private ResumeRefused resumeRefused;

    private record ResumeRefused(String reason, String message) {
    }

    /**
     * @param multiStream true for {@code /events}: events without a type are typed with their
     *                    stream name
     * @param floorLifetime how long a floor may wait for this relay to learn an origin: the
     *                    history's maximum age, after which no relay can still replay it
     * @param onClosed    runs once on the IO thread when the connection ends for any reason;
     *                    it must unsubscribe this connection from the hub
     */
    public SseConnection(HttpServerExchange exchange, SseWriters writers, List<String> streams, boolean multiStream,
            Duration floorLifetime, Consumer<SseConnection> onClosed) {
        super(exchange, writers);
        this.streams = List.copyOf(streams);
        this.multiStream = multiStream;
        this.onClosed = onClosed;
        this.settings = writers.settings();
        this.metrics = writers.metrics();
        this.floorLifetimeNanos = floorLifetime.toNanos();
    }

    public List<String> streams() {
        return streams;
    }

    /**
     * The client asked to resume from a position this relay cannot use (not an id of this
     * cluster, or ahead of it): it is subscribed as a new subscriber and its stream starts with
     * a {@code reset} saying why, whose id is where it continues from. A browser's EventSource
     * would give up for good on an error status. Call before registering with the hub.
     */
    public void resumeRefused(String reason, String message) {
        this.resumeRefused = new ResumeRefused(reason, message);
    }

    @Override
    public void onCatchUp(CatchUp catchUp) {
        offerFrame(SseEncoder.retry(settings.retry().toMillis()));
        if (catchUp.resumed()) {
            floor = catchUp.from().aheadOf(catchUp.position());
            floorDeadlineNanos = System.nanoTime() + floorLifetimeNanos;
        }
        if (resumeRefused != null) {
            offerFrame(SseEncoder.reset(streams, resumeRefused.reason(), resumeRefused.message(),
                    catchUp.position().format()));
            flushSoon();
            return;
        }
        Position announced = catchUp.from();
        if (!catchUp.resetStreams().isEmpty()) {
            Position resetId = catchUp.resetId();
            offerFrame(SseEncoder.historyReset(catchUp.resetStreams(), resetId == null ? null : resetId.format()));
            if (resetId != null) {
                announced = resetId;
            }
        }
        Position last = null;
        for (Event event : catchUp.replay()) {
            if (floor == null) {
                offerFrame(event.frame(multiStream).duplicate());
                last = event.position();
            } else if (!floor.covers(event.origin(), event.seq())) {
                last = floor.merge(event.position());
                offerFrame(event.frameWithId(last, multiStream));
            }
        }
        if (!catchUp.replay().isEmpty()) {
            metrics.replayed(catchUp.replay().size());
        }
        Position current = floor == null ? catchUp.position() : floor.merge(catchUp.position());
        if (!current.equals(last) && !current.equals(announced)) {
            offerFrame(SseEncoder.id(current.format()));
        }
        flushSoon();
    }

    @Override
    public void onEvent(Event event) {
        if (floor != null) {
            if (floor.covers(event.origin(), event.seq())) {
                return; // seen on the relay this subscriber came from
            }
            if (event.position().dominates(floor) || System.nanoTime() - floorDeadlineNanos > 0) {
                if (!event.position().dominates(floor) && namesOriginUnknownHere(event.position())) {
                    // The floor waited the history's whole age for a relay this one never learned
                    // of: whatever that relay published after what the subscriber saw is gone.
                    offerFrame(SseEncoder.historyReset(streams, null));
                    metrics.floorExpiredUnknown();
                }
                floor = null;
            } else {
                offerOwnFrame(event.frameWithId(floor.merge(event.position()), multiStream));
                return;
            }
        }
        offerEvent(event);
    }

    /**
     * A subscriber that resumed here from an id naming a relay this one never knew waits, with
     * a floor, for that relay's events; once this relay learns the relay stopped before its
     * events up to {@code lastSeq} could reach it, those the subscriber had not seen will not come.
     */
    @Override
    public boolean onOriginLearned(String origin, long lastSeq) {
        long seen = floor == null ? 0 : floor.seqOf(origin);
        if (seen == 0 || seen >= lastSeq) {
            return false;
        }
        offerFrame(SseEncoder.historyReset(streams, null));
        flushSoon();
        return true;
    }

    /** Whether the floor names an origin that {@code here}, this relay's position, does not name at all. */
    private boolean namesOriginUnknownHere(Position here) {
        for (int i = 0; i < floor.size(); i++) {
            if (!names(here, floor.origin(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean names(Position position, String origin) {
        for (int i = 0; i < position.size(); i++) {
            if (position.origin(i).equals(origin)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void onGap(List<String> gapStreams) {
        offerFrame(SseEncoder.historyReset(gapStreams, null));
        flushSoon();
    }

    @Override
    public void onRelayClosing() {
        long base = settings.shutdownRetry().toMillis();
        offerFrame(SHUTTING_DOWN.duplicate());
        offerFrame(SseEncoder.retry(base + ThreadLocalRandom.current().nextLong(base + 1)));
        finish();
    }

    @Override
    protected ByteBuffer frameOf(Event event) {
        return event.frame(multiStream);
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
