package io.sserelay.relay.http;

import io.sserelay.relay.auth.AuthFailure;
import io.sserelay.relay.auth.Grant;
import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.cluster.ClusterRuntime;
import io.sserelay.relay.cluster.EventId;
import io.sserelay.relay.cluster.StreamIds;
import io.sserelay.relay.sse.SseConnection;
import io.sserelay.relay.sse.SseConnections;
import io.sserelay.relay.sse.SseEncoder;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.stream.Published;
import io.sserelay.relay.stream.ResetReason;
import io.sserelay.relay.stream.StreamName;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code GET /streams/{stream}} and {@code GET /events?stream=a&stream=b}: validates the
 * request, subscribes an {@link SseConnection} to each stream through the cluster protocol, and
 * leaves the response open. Runs on the IO thread; subscribing is one step of the protocol,
 * which this thread runs itself when the protocol is idle, and what it hands the connection waits
 * in the connection's queue until the response starts.
 *
 * <p>The id to resume from is the {@code Last-Event-ID} header or else the
 * {@code lastEventId} query parameter. The header wins because a browser's EventSource
 * reconnects to the same URL (still carrying the first query parameter) with the header set to
 * the id it saw last.
 */
public final class SubscribeHandler {

    private static final HttpString LAST_EVENT_ID = new HttpString("Last-Event-ID");
    private static final String LAST_EVENT_ID_PARAMETER = "lastEventId";
    private static final Set<String> STREAM_PARAMETERS = Set.of(LAST_EVENT_ID_PARAMETER, AccessControl.QUERY_PARAMETER);
    private static final Set<String> EVENTS_PARAMETERS =
            Set.of("stream", LAST_EVENT_ID_PARAMETER, AccessControl.QUERY_PARAMETER);
    /**
     * How long a refused subscriber is asked to wait. An EventSource is told by {@code retry}
     * (with jitter, so refused browsers do not return all at once), others by Retry-After.
     */
    static final Duration REFUSED_RETRY = Duration.ofSeconds(5);
    /** EventSource dispatches its own open and error events; reset is the relay's notice. */
    private static final Set<String> TYPES_A_BROWSER_RESERVES = Set.of("open", "error", SseEncoder.RESET_TYPE);

    /** The most characters of a client's id quoted back in a reset. */
    private static final int QUOTED_ID_CHARACTERS = 80;

    private final ClusterRuntime<Published> cluster;
    private final SseConnections connections;
    private final SseWriters writers;
    private final AccessControl access;
    private final int maxStreamsPerConnection;
    private final Duration shutdownRetry;
    private final boolean endStreamAtExpiry;
    private final ConnectionLimits limits;
    private final RelayMetrics metrics;
    private final UnexpectedErrors errors;

    /**
     * @param endStreamAtExpiry whether a subscriber's stream ends, telling it to reconnect, when
     *                          the token it subscribed with expires
     */
    public SubscribeHandler(ClusterRuntime<Published> cluster, SseConnections connections, SseWriters writers,
            AccessControl access, ConnectionLimits limits, int maxStreamsPerConnection, Duration shutdownRetry,
            boolean endStreamAtExpiry, UnexpectedErrors errors) {
        this.errors = errors;
        this.cluster = cluster;
        this.connections = connections;
        this.writers = writers;
        this.access = access;
        this.limits = limits;
        this.metrics = writers.metrics();
        this.maxStreamsPerConnection = maxStreamsPerConnection;
        this.shutdownRetry = shutdownRetry;
        this.endStreamAtExpiry = endStreamAtExpiry;
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
        Grant grant;
        try {
            grant = access.checkSubscribe(exchange, target);
            if (endStreamAtExpiry && grant.expiresAtMillis() != 0 && grant.expiresAtMillis() <= System.currentTimeMillis()) {
                // Good until a moment ago (authenticating took that moment): its stream would end at once.
                throw access.subscribeRefused(new AuthFailure(AuthFailure.Reason.EXPIRED, "the token expired at "
                        + Instant.ofEpochMilli(grant.expiresAtMillis())));
            }
        } catch (AuthFailure failure) {
            if (failure.mayPassLater() && isEventSource(exchange)) {
                // An EventSource gives up for good on an error status. A token that expired (its
                // page refreshes it) or keys that could not be fetched may pass later: come back.
                // Nothing about the relay is told to a client that is not let in, not even a stream's place.
                sendReconnectLater(exchange, jittered(), failure.getMessage() + "; reconnect with a valid token");
                return;
            }
            throw AccessControl.refusal(failure);
        }
        for (String name : streams) {
            if (!grant.maySubscribe(name)) {
                throw access.subscribeForbidden(name);
            }
        }
        String lastEventId = lastEventId(exchange, target);
        ConnectionLimits.Admission admission;
        try {
            admission = limits.admit(exchange.getSourceAddress().getAddress(), streams.size(), headLength(exchange));
        } catch (ConnectionLimits.Refused refused) {
            metrics.subscriberRefused(refused.reason().name().toLowerCase(Locale.ROOT));
            refuse(exchange, refused);
            return;
        }
        SseConnection connection = new SseConnection(exchange, writers, streams, stream == null, closed -> {
            for (String name : closed.streams()) {
                cluster.unsubscribe(name, closed);
            }
            connections.remove(closed);
            admission.release();
        });
        if (endStreamAtExpiry && grant.expiresAtMillis() != 0) {
            connection.endWhenCredentialExpires(grant.expiresAtMillis());
        }
        if (!connections.add(connection)) {
            admission.release();
            sendReconnectLater(exchange, shutdownRetry, null);
            return;
        }
        // An id that cannot be resumed from is answered with the live stream and a reset, never
        // an error status: that would make a browser's EventSource give up for good.
        Map<String, EventId> places = lastEventId == null ? Map.of() : placesOf(lastEventId, streams);
        if (places == null) {
            connection.refuseResume(ResetReason.INVALID_LAST_EVENT_ID, "event id '" + quoted(lastEventId)
                    + "' is not one this relay gives out for " + (stream == null ? "these streams" : "this stream"));
            places = Map.of();
        }
        if (stream == null) {
            connection.resumeFrom(places);
        }
        for (String name : streams) {
            if (places.containsKey(name)) {
                cluster.subscribe(name, places.get(name), connection); // null: from the stream's start
            } else {
                cluster.subscribeFromNow(name, connection);
            }
        }
        // Starting on the connection's IO thread after this handler returns keeps Undertow from
        // ending the exchange; what the protocol sends meanwhile waits in the connection's queue.
        exchange.dispatch(exchange.getIoThread(), connection::start);
    }

    /**
     * Each stream's place in the id a subscriber sends (null: before the stream's first event),
     * for the streams it names; null when it is not an id of these streams. A stream's own id
     * ({@code epoch-offset} or {@code 0}) serves a connection to that stream alone, and an
     * {@code /events} id serves any connection to streams it names.
     */
    private Map<String, EventId> placesOf(String text, List<String> streams) {
        if (streams.size() == 1) {
            if (text.equals(EventId.START)) {
                java.util.HashMap<String, EventId> start = new java.util.HashMap<>();
                start.put(streams.get(0), null);
                return start;
            }
            EventId id = EventId.parse(text);
            if (id != null) {
                return Map.of(streams.get(0), id);
            }
        }
        Map<String, EventId> places = StreamIds.parse(text, Math.max(maxStreamsPerConnection, streams.size()));
        if (places == null || places.keySet().stream().noneMatch(streams::contains)) {
            return null;
        }
        return places;
    }

    /** What a client sent, cut short for quoting. */
    private static String quoted(String text) {
        return text.length() <= QUOTED_ID_CHARACTERS ? text : text.substring(0, QUOTED_ID_CHARACTERS) + "...";
    }

    /** The characters of the request head beyond the smallest: its target and its headers. */
    private static long headLength(HttpServerExchange exchange) {
        long length = exchange.getRequestURI().length() + exchange.getQueryString().length();
        for (HeaderValues header : exchange.getRequestHeaders()) {
            length += header.getHeaderName().length();
            for (String value : header) {
                length += value.length();
            }
        }
        return length;
    }

    /**
     * A subscriber over a limit: an EventSource (which gives up for good on any status but 200)
     * gets a stream that ends at once and tells it when to come back; other clients get 429 or
     * 503 with Retry-After.
     */
    private void refuse(HttpServerExchange exchange, ConnectionLimits.Refused refused) {
        if (isEventSource(exchange)) {
            sendReconnectLater(exchange, jittered(), refused.getMessage() + "; reconnect later");
            return;
        }
        boolean perAddress = refused.reason() == ConnectionLimits.Refusal.PER_ADDRESS;
        new ApiError(perAddress ? 429 : 503, perAddress ? "too_many_connections" : "relay_full",
                refused.getMessage() + "; retry after " + REFUSED_RETRY.toSeconds() + " s")
                .withHeader("Retry-After", Long.toString(REFUSED_RETRY.toSeconds()))
                .send(exchange);
    }

    /** Whether the client is an EventSource, or says it reads an event stream like one. */
    private static boolean isEventSource(HttpServerExchange exchange) {
        String accept = exchange.getRequestHeaders().getFirst(Headers.ACCEPT);
        return accept != null && accept.contains("text/event-stream");
    }

    /** {@link #REFUSED_RETRY} and up to as much again, so that refused browsers do not return all at once. */
    private static Duration jittered() {
        return REFUSED_RETRY.plusMillis(ThreadLocalRandom.current().nextLong(REFUSED_RETRY.toMillis() + 1));
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

    /** The id to resume from: the header, or else the query parameter; null when neither is set. */
    private static String lastEventId(HttpServerExchange exchange, RequestTarget target) {
        String text = exchange.getRequestHeaders().getFirst(LAST_EVENT_ID);
        String fromQuery = target.single(LAST_EVENT_ID_PARAMETER);
        if (text == null || text.isEmpty()) {
            text = fromQuery;
        }
        return text == null || text.isEmpty() ? null : text;
    }

    /**
     * A well-formed stream that ends at once, so that the client's EventSource reconnects after
     * {@code retry} (perhaps to another replica) instead of failing as it would on a 503. It
     * carries no id: a client that has one keeps it, and resumes from it when it comes back.
     */
    private static void sendReconnectLater(HttpServerExchange exchange, Duration retry, String why) {
        List<ByteBuffer> frames = new ArrayList<>();
        if (why != null) {
            frames.add(SseEncoder.comment(why));
        }
        frames.add(SseEncoder.retry(retry.toMillis()));
        IoThreadAnswer.send(exchange, () -> {
            SseConnection.setEventStreamHeaders(exchange);
            exchange.getResponseSender().send(frames.toArray(ByteBuffer[]::new));
        });
    }
}
