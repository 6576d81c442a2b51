package io.sserelay.relay.http;

import io.sserelay.relay.auth.Grant;
import io.sserelay.relay.cluster.ClusterRuntime;
import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.Published;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * {@code POST /streams/{stream}} (one event) and {@code POST /publish} (a batch). Each stream's
 * events go to the relay that numbers the stream (docs/stream-ownership.md); the answer is
 * {@code 202} with the ids they got once a second relay holds them ({@link PublishReply}), or an
 * error saying what became of them. An {@code Idempotency-Key} travels with the events, so a
 * retry of the same request through any relay gets the first answer again.
 *
 * <p>Checks run in this order, so the first problem reported is the most fundamental: query
 * parameters, token, idempotency key, content type, declared body size, then (once the body is
 * in) its content.
 *
 * <p>Threads: the checks that need no body run on the IO thread; the body is received without
 * holding any thread ({@link BodyReceiver}); parsing runs on a worker, which hands the events to
 * the cluster protocol (running the step itself when the protocol is idle) and returns without
 * waiting for the answer, which comes from whichever thread runs the step that settles it. The
 * body's memory stays counted until the answer, so publishes waiting for their owner count
 * against the publish budget.
 */
public final class PublishHandler {

    private static final HttpString IDEMPOTENCY_KEY = new HttpString("Idempotency-Key");
    private static final String EVENT_PARAMETER = "event";

    private final ClusterRuntime<Published> cluster;
    private final AccessControl access;
    private final PublishLimits limits;
    private final PublishBodyParser parser;
    private final BodyReceiver bodies;
    private final Duration ackTimeout;
    private final boolean replicated;
    private final RelayMetrics metrics;
    private final UnexpectedErrors errors;
    private final BooleanSupplier shuttingDown;

    /**
     * @param bodyTimeout  how long a publisher may take to send its body
     * @param pendingBytes heap the bodies being received or published may hold together
     * @param ackTimeout   how long a publish waits for a second relay to hold its events
     * @param replicated   whether a second relay holds each event before it is acknowledged
     * @param shuttingDown whether the relay is shutting down, and publishers should go to another
     */
    public PublishHandler(ClusterRuntime<Published> cluster, AccessControl access, PublishLimits limits,
            Duration bodyTimeout, long pendingBytes, Duration ackTimeout, boolean replicated, RelayMetrics metrics,
            UnexpectedErrors errors, BooleanSupplier shuttingDown) {
        this.shuttingDown = shuttingDown;
        this.errors = errors;
        this.cluster = cluster;
        this.access = access;
        this.limits = limits;
        this.parser = new PublishBodyParser(limits);
        this.bodies = new BodyReceiver(bodyTimeout, pendingBytes);
        this.ackTimeout = ackTimeout;
        this.replicated = replicated;
        this.metrics = metrics;
    }

    /** {@code stream} is the validated name from the path, or null for a batch. */
    void publish(HttpServerExchange exchange, RequestTarget target, String stream) {
        if (stream == null) {
            target.acceptOnly("POST /publish", Set.of());
        } else {
            target.acceptOnly("POST /streams/{stream}", Set.of(EVENT_PARAMETER));
        }
        String eventType = stream == null ? null : target.single(EVENT_PARAMETER);
        Grant grant = access.checkPublish(exchange, target);
        if (stream != null && !grant.mayPublish(stream)) {
            throw access.publishForbidden(stream);
        }
        String key = idempotencyKey(exchange);
        MediaType mediaType = MediaType.of(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        if (stream == null) {
            if (!mediaType.isJson()) {
                throw mediaType.unsupported("application/json for a batch");
            }
            receive(exchange, limits.maxBatchBytes(), "batch_too_large", "the batch", stream, key,
                    body -> permitted(grant, parser.batch(body)));
        } else if (mediaType.isJson()) {
            if (eventType != null) {
                throw ApiError.badRequest("unexpected_parameter",
                        "the event query parameter applies to text bodies; put \"event\" in the JSON body instead");
            }
            receive(exchange, limits.maxSingleJsonBodyBytes(), "event_too_large", "the JSON body", stream, key,
                    body -> List.of(parser.json(stream, body)));
        } else if (mediaType.isText()) {
            receive(exchange, limits.maxEventBytes(), "event_too_large", "event data", stream, key,
                    body -> List.of(parser.text(stream, eventType, body)));
        } else {
            throw mediaType.unsupported("text/plain or application/json");
        }
    }

    /** {@code requests}, when the grant reaches every stream they name; else 403 naming the first it does not. */
    private List<PublishRequest> permitted(Grant grant, List<PublishRequest> requests) {
        for (PublishRequest request : requests) {
            if (!grant.mayPublish(request.stream())) {
                throw access.publishForbidden(request.stream());
            }
        }
        return requests;
    }

    /** The request's {@code Idempotency-Key}, or null; refused here, before the body, when invalid. */
    private static String idempotencyKey(HttpServerExchange exchange) {
        HeaderValues values = exchange.getRequestHeaders().get(IDEMPOTENCY_KEY);
        if (values == null) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiError.badRequest("invalid_idempotency_key", "send one Idempotency-Key header, not " + values.size());
        }
        String key = values.getFirst();
        String problem = IdempotencyKey.problem(key);
        if (problem != null) {
            throw ApiError.badRequest("invalid_idempotency_key", problem);
        }
        return key;
    }

    private void receive(HttpServerExchange exchange, int limit, String tooLargeCode, String what, String stream,
            String key, Function<byte[], List<PublishRequest>> parse) {
        long declared = exchange.getRequestContentLength();
        if (declared > limit) {
            throw ApiError.tooLarge(tooLargeCode, what + " is " + declared + " bytes; the limit is " + limit);
        }
        bodies.receive(exchange, limit, tooLargeCode, what, (body, release) -> exchange.dispatch(() -> {
            List<PublishRequest> requests;
            try {
                requests = parse.apply(body);
            } catch (ApiError error) {
                release.run();
                IoThreadAnswer.send(exchange, () -> error.send(exchange));
                return;
            } catch (RuntimeException e) {
                release.run();
                ApiError answer = errors.record("publish", stream == null ? "a batch publish" : "a publish to " + stream, e);
                IoThreadAnswer.send(exchange, () -> answer.send(exchange));
                return;
            }
            if (shuttingDown.getAsBoolean()) {
                release.run();
                ApiError closing = ApiError.shuttingDown();
                IoThreadAnswer.send(exchange, () -> closing.send(exchange));
                return;
            }
            // Whoever answers gives the body's memory back; until then it counts as pending.
            PublishReply reply = new PublishReply(exchange, stream != null, key, requests, ackTimeout, replicated,
                    metrics, release);
            String digest = key == null ? null
                    : Base64.getEncoder().encodeToString(PublishDigest.of(stream != null, requests));
            long now = System.currentTimeMillis();
            for (Map.Entry<String, List<Integer>> part : reply.parts().entrySet()) {
                List<Published> events = new ArrayList<>(part.getValue().size());
                for (int index : part.getValue()) {
                    PublishRequest request = requests.get(index);
                    events.add(new Published(request.type(), request.data(), now));
                }
                cluster.publish(part.getKey(), events, key, digest, reply.part(part.getKey()));
            }
        }));
    }

    /** Heap held by publish bodies being received or published, by their budget's count. */
    public long pendingBytes() {
        return bodies.pendingBytes();
    }

    public long pendingBudget() {
        return bodies.pendingBudget();
    }

    /**
     * The parts of a Content-Type header the relay cares about. A {@code charset} parameter that is
     * empty, has no value or comes twice makes the header unusable ({@code problem}): which
     * charset the sender meant cannot be known, so the body is not guessed at.
     */
    private record MediaType(String raw, String type, String charset, String problem) {

        static MediaType of(String header) {
            if (header == null) {
                return new MediaType(null, "", null, null);
            }
            // -1 keeps empty parts, so "", ";" and ";;;" have an (empty) type like any other header.
            String[] parts = header.split(";", -1);
            String charset = null;
            String problem = null;
            for (int i = 1; i < parts.length && problem == null; i++) {
                String[] param = parts[i].trim().split("=", 2);
                if (!param[0].trim().equalsIgnoreCase("charset")) {
                    continue;
                }
                String value = param.length == 2 ? unquoted(param[1].trim()).toLowerCase(Locale.ROOT) : "";
                if (charset != null) {
                    problem = "it names a charset twice";
                } else if (value.isEmpty()) {
                    problem = "its charset parameter has no value";
                } else {
                    charset = value;
                }
            }
            return new MediaType(header, parts[0].trim().toLowerCase(Locale.ROOT), charset, problem);
        }

        private static String unquoted(String value) {
            return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                    ? value.substring(1, value.length() - 1) : value;
        }

        boolean isJson() {
            return type.equals("application/json") && utf8();
        }

        /**
         * {@code application/x-www-form-urlencoded} is what {@code curl -d} sends; its body is
         * taken verbatim as text, not form-decoded.
         */
        boolean isText() {
            return (type.equals("text/plain") || type.equals("application/x-www-form-urlencoded"))
                    && (utf8() || problem == null && "us-ascii".equals(charset));
        }

        private boolean utf8() {
            return problem == null && (charset == null || charset.equals("utf-8") || charset.equals("utf8"));
        }

        ApiError unsupported(String expected) {
            String why = raw == null ? "the request has no Content-Type"
                    : "Content-Type '" + raw + "' is not accepted" + (problem == null ? "" : " (" + problem + ")");
            return new ApiError(415, "unsupported_media_type", why + ": send " + expected + " (UTF-8)");
        }
    }
}
