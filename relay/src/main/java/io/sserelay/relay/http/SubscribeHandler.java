package io.sserelay.relay.http;

import io.sserelay.relay.sse.SseConnection;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.stream.InvalidPositionException;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.RelayClosingException;
import io.sserelay.relay.stream.StreamHub;
import io.sserelay.relay.stream.StreamName;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * {@code GET /streams/{stream}} and {@code GET /events?stream=a&stream=b}: validates the
 * request, registers an {@link SseConnection} with the hub, and leaves the response open.
 * Runs on the IO thread; registration takes the hub's lock only briefly.
 *
 * <p>The position to resume from is the {@code Last-Event-ID} header or else the
 * {@code lastEventId} query parameter. The header wins because a browser's EventSource
 * reconnects to the same URL (still carrying the first query parameter) with the header set to
 * the id it saw last.
 */
public final class SubscribeHandler {

    private static final HttpString LAST_EVENT_ID = new HttpString("Last-Event-ID");

    private final StreamHub hub;
    private final SseWriters writers;
    private final AccessControl access;
    private final int maxStreamsPerConnection;
    private final Duration shutdownRetry;
    private final Duration floorLifetime;

    public SubscribeHandler(StreamHub hub, SseWriters writers, AccessControl access, int maxStreamsPerConnection,
            Duration shutdownRetry, Duration floorLifetime) {
        this.hub = hub;
        this.writers = writers;
        this.access = access;
        this.maxStreamsPerConnection = maxStreamsPerConnection;
        this.shutdownRetry = shutdownRetry;
        this.floorLifetime = floorLifetime;
    }

    /** {@code stream} is the validated name from the path, or null for {@code /events}. */
    void subscribe(HttpServerExchange exchange, String stream) {
        List<String> streams = stream != null ? List.of(stream) : streamsFromQuery(exchange);
        access.checkSubscribe(exchange);
        Position from = resumePosition(exchange);
        SseConnection connection = new SseConnection(exchange, writers, streams, stream == null, floorLifetime,
                closed -> hub.unsubscribe(closed.streams(), closed));
        try {
            hub.subscribe(streams, from, connection);
        } catch (InvalidPositionException e) {
            throw ApiError.badRequest("invalid_last_event_id", e.getMessage());
        } catch (RelayClosingException e) {
            sendReconnectElsewhere(exchange, from);
            return;
        }
        // Undertow ends an exchange when its handler returns unless it was dispatched; the
        // response stays open until the connection closes it.
        exchange.dispatch(SameThreadExecutor.INSTANCE, connection::start);
    }

    private List<String> streamsFromQuery(HttpServerExchange exchange) {
        Deque<String> values = exchange.getQueryParameters().get("stream");
        if (values == null || values.isEmpty()) {
            throw ApiError.badRequest("missing_stream", "name at least one stream: /events?stream=a&stream=b");
        }
        LinkedHashSet<String> streams = new LinkedHashSet<>();
        for (String name : values) {
            if (!StreamName.isValid(name)) {
                throw ApiError.badRequest("invalid_stream_name", StreamName.describeInvalid(name));
            }
            streams.add(name);
        }
        if (streams.size() > maxStreamsPerConnection) {
            throw ApiError.badRequest("too_many_streams", "the request names " + streams.size()
                    + " streams; one connection may carry at most " + maxStreamsPerConnection);
        }
        return new ArrayList<>(streams);
    }

    private static Position resumePosition(HttpServerExchange exchange) {
        String text = exchange.getRequestHeaders().getFirst(LAST_EVENT_ID);
        if (text == null || text.isEmpty()) {
            Deque<String> values = exchange.getQueryParameters().get("lastEventId");
            text = values == null || values.isEmpty() ? null : values.getFirst();
        }
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return Position.parse(text);
        } catch (InvalidPositionException e) {
            throw ApiError.badRequest("invalid_last_event_id", e.getMessage());
        }
    }

    /**
     * While shutting down, a new subscriber gets a well-formed stream that ends at once, so its
     * EventSource reconnects (to another replica) instead of failing as it would on a 503. A
     * new subscriber is given the current position, so it misses nothing in between.
     */
    private void sendReconnectElsewhere(HttpServerExchange exchange, Position from) {
        StringBuilder frames = new StringBuilder();
        frames.append("retry: ").append(shutdownRetry.toMillis()).append("\n\n");
        if (from == null) {
            frames.append("id: ").append(hub.head().format()).append("\n\n");
        }
        exchange.setStatusCode(200);
        exchange.getResponseHeaders()
                .put(Headers.CONTENT_TYPE, "text/event-stream")
                .put(Headers.CACHE_CONTROL, "no-cache");
        exchange.getResponseSender().send(frames.toString(), StandardCharsets.US_ASCII);
    }
}
