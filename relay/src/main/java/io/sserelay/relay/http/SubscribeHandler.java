package io.sserelay.relay.http;

import io.sserelay.relay.sse.SseConnection;
import io.sserelay.relay.sse.SseEncoder;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.stream.InvalidPositionException;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.RelayClosingException;
import io.sserelay.relay.stream.StreamHub;
import io.sserelay.relay.stream.StreamName;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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
    private static final String LAST_EVENT_ID_PARAMETER = "lastEventId";
    private static final Set<String> STREAM_PARAMETERS = Set.of(LAST_EVENT_ID_PARAMETER, BearerToken.QUERY_PARAMETER);
    private static final Set<String> EVENTS_PARAMETERS =
            Set.of("stream", LAST_EVENT_ID_PARAMETER, BearerToken.QUERY_PARAMETER);
    /** EventSource dispatches its own open and error events; reset is the relay's notice. */
    private static final Set<String> TYPES_A_BROWSER_RESERVES = Set.of("open", "error", SseEncoder.RESET_TYPE);

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
    void subscribe(HttpServerExchange exchange, RequestTarget target, String stream) {
        List<String> streams;
        if (stream != null) {
            target.acceptOnly("GET /streams/{stream}", STREAM_PARAMETERS);
            streams = List.of(stream);
        } else {
            target.acceptOnly("GET /events", EVENTS_PARAMETERS);
            streams = streamsFromQuery(target);
        }
        access.checkSubscribe(exchange, target);
        Position from = resumePosition(exchange, target);
        SseConnection connection = new SseConnection(exchange, writers, streams, stream == null, floorLifetime,
                closed -> hub.unsubscribe(closed.streams(), closed));
        // Registering takes the hub's lock, which an IO thread must not wait for: register on a
        // worker, then start writing back on the connection's IO thread. Each dispatch keeps
        // Undertow from ending the exchange when the task returns.
        exchange.dispatch(() -> {
            try {
                hub.subscribe(streams, from, connection);
            } catch (InvalidPositionException e) {
                ApiError.badRequest("invalid_last_event_id", e.getMessage()).send(exchange);
                return;
            } catch (RelayClosingException e) {
                sendReconnectElsewhere(exchange, from);
                return;
            }
            exchange.dispatch(exchange.getIoThread(), connection::start);
        });
    }

    private List<String> streamsFromQuery(RequestTarget target) {
        List<String> values = target.all("stream");
        if (values.isEmpty()) {
            throw ApiError.badRequest("missing_stream", "name at least one stream: /events?stream=a&stream=b");
        }
        LinkedHashSet<String> streams = new LinkedHashSet<>();
        for (String name : values) {
            if (!StreamName.isValid(name)) {
                throw ApiError.badRequest("invalid_stream_name", StreamName.describeInvalid(name));
            }
            if (TYPES_A_BROWSER_RESERVES.contains(name)) {
                throw ApiError.badRequest("reserved_stream_name", "on /events a stream's events are typed with its"
                        + " name, and '" + name + "' is an event type EventSource or the relay gives its own meaning;"
                        + " subscribe to it on /streams/" + name);
            }
            streams.add(name);
        }
        if (streams.size() > maxStreamsPerConnection) {
            throw ApiError.badRequest("too_many_streams", "the request names " + streams.size()
                    + " streams; one connection may carry at most " + maxStreamsPerConnection);
        }
        return new ArrayList<>(streams);
    }

    private static Position resumePosition(HttpServerExchange exchange, RequestTarget target) {
        String text = exchange.getRequestHeaders().getFirst(LAST_EVENT_ID);
        String fromQuery = target.single(LAST_EVENT_ID_PARAMETER);
        if (text == null || text.isEmpty()) {
            text = fromQuery;
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
        ByteBuffer retry = SseEncoder.retry(shutdownRetry.toMillis());
        SseConnection.setEventStreamHeaders(exchange);
        if (from == null) {
            exchange.getResponseSender().send(new ByteBuffer[] {retry, SseEncoder.id(hub.head().format())});
        } else {
            exchange.getResponseSender().send(retry);
        }
    }
}
