package io.sserelay.relay.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.RelayClosingException;
import io.sserelay.relay.stream.StreamHub;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * {@code POST /streams/{stream}} (one event) and {@code POST /publish} (a batch). Answers
 * {@code 202} with the ids the events got. Runs on a worker thread: it reads the body with
 * blocking IO, bounded by the configured sizes.
 *
 * <p>Checks run in this order, so the first problem reported is the most fundamental:
 * token, content type, body size, body content.
 */
public final class PublishHandler {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(PublishHandler.class);

    private final StreamHub hub;
    private final AccessControl access;
    private final PublishLimits limits;
    private final PublishBodyParser parser;

    public PublishHandler(StreamHub hub, AccessControl access, PublishLimits limits) {
        this.hub = hub;
        this.access = access;
        this.limits = limits;
        this.parser = new PublishBodyParser(limits);
    }

    /** {@code stream} is the validated name from the path, or null for a batch. */
    void publish(HttpServerExchange exchange, String stream) {
        exchange.dispatch(() -> {
            try {
                respond(exchange, stream, hub.publish(parse(exchange, stream), System.nanoTime()));
            } catch (ApiError error) {
                error.send(exchange);
            } catch (RelayClosingException closing) {
                ApiError.shuttingDown().send(exchange);
            } catch (RuntimeException e) {
                LOG.error("unexpected failure publishing to {}", stream == null ? "a batch" : stream, e);
                new ApiError(500, "internal_error", "the relay failed to publish; see its log").send(exchange);
            }
        });
    }

    private List<PublishRequest> parse(HttpServerExchange exchange, String stream) {
        access.checkPublish(exchange);
        MediaType mediaType = MediaType.of(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        String eventParam = queryParameter(exchange, "event");
        if (stream == null) {
            if (eventParam != null) {
                throw ApiError.badRequest("unexpected_parameter",
                        "a batch takes no event query parameter; give each event its \"event\" field");
            }
            requireJson(mediaType, "a batch");
            return parser.batch(readBody(exchange, limits.maxBatchBytes(), "batch_too_large", "the batch"));
        }
        if (mediaType.isJson()) {
            if (eventParam != null) {
                throw ApiError.badRequest("unexpected_parameter",
                        "the event query parameter applies to text bodies; put \"event\" in the JSON body instead");
            }
            return List.of(parser.json(stream, readBody(exchange, limits.maxSingleJsonBodyBytes(), "event_too_large",
                    "the JSON body")));
        }
        if (mediaType.isText()) {
            return List.of(parser.text(stream, eventParam,
                    readBody(exchange, limits.maxEventBytes(), "event_too_large", "event data")));
        }
        throw mediaType.unsupported("text/plain or application/json");
    }

    private static void requireJson(MediaType mediaType, String what) {
        if (!mediaType.isJson()) {
            throw mediaType.unsupported("application/json for " + what);
        }
    }

    private static byte[] readBody(HttpServerExchange exchange, int limit, String code, String what) {
        long declared = exchange.getRequestContentLength();
        if (declared > limit) {
            throw ApiError.tooLarge(code, what + " is " + declared + " bytes; the limit is " + limit);
        }
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] body = in.readNBytes(limit + 1);
            if (body.length > limit) {
                throw ApiError.tooLarge(code, what + " is larger than the limit of " + limit + " bytes");
            }
            return body;
        } catch (IOException e) {
            throw ApiError.badRequest("unreadable_body", "the request body could not be read: " + e.getMessage());
        }
    }

    private static String queryParameter(HttpServerExchange exchange, String name) {
        Deque<String> values = exchange.getQueryParameters().get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    private static void respond(HttpServerExchange exchange, String stream, List<Event> events) {
        ObjectNode body = JSON.createObjectNode();
        if (stream != null) {
            body.put("stream", stream).put("id", events.get(0).position().format());
        } else {
            ArrayNode ids = body.putArray("ids");
            events.forEach(e -> ids.add(e.position().format()));
        }
        exchange.setStatusCode(202);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(body.toString());
    }

    /** The parts of a Content-Type header the relay cares about. */
    private record MediaType(String raw, String type, String charset) {

        static MediaType of(String header) {
            if (header == null) {
                return new MediaType(null, "", null);
            }
            String[] parts = header.split(";");
            String charset = null;
            for (int i = 1; i < parts.length; i++) {
                String[] param = parts[i].trim().split("=", 2);
                if (param.length == 2 && param[0].trim().equalsIgnoreCase("charset")) {
                    charset = param[1].trim().replace("\"", "").toLowerCase(Locale.ROOT);
                }
            }
            return new MediaType(header, parts[0].trim().toLowerCase(Locale.ROOT), charset);
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
                    && (utf8() || "us-ascii".equals(charset));
        }

        private boolean utf8() {
            return charset == null || charset.equals("utf-8") || charset.equals("utf8");
        }

        ApiError unsupported(String expected) {
            String problem = raw == null ? "the request has no Content-Type"
                    : "Content-Type '" + raw + "' is not accepted";
            return new ApiError(415, "unsupported_media_type", problem + ": send " + expected + " (UTF-8)");
        }
    }
}
