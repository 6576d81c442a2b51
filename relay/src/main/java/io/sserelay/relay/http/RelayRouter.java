package io.sserelay.relay.http;

import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.stream.StreamName;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.BooleanSupplier;

/** Maps the public HTTP API of the relay onto its handlers; see {@code docs/relay.md}. */
public final class RelayRouter implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RelayRouter.class);
    private static final String STREAMS_PREFIX = "/streams/";
    /** The live page reads the stream to show from its own URL. */
    private static final Set<String> PAGE_PARAMETERS = Set.of("stream");

    private final SubscribeHandler subscribe;
    private final PublishHandler publish;
    private final RelayMetrics metrics;
    private final BooleanSupplier ready;
    private final BooleanSupplier live;
    private final byte[] page;

    /**
     * @param ready whether this relay should receive new traffic; false while it shuts down
     * @param live  whether this relay can still serve; checked on a worker, may take a moment
     */
    public RelayRouter(SubscribeHandler subscribe, PublishHandler publish, RelayMetrics metrics,
            BooleanSupplier ready, BooleanSupplier live) {
        this.subscribe = subscribe;
        this.publish = publish;
        this.metrics = metrics;
        this.ready = ready;
        this.live = live;
        this.page = loadPage();
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        try {
            route(exchange);
        } catch (ApiError error) {
            error.send(exchange);
        } catch (RuntimeException e) {
            LOG.error("unexpected failure serving {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            new ApiError(500, "internal_error", "the relay failed to serve this request; see its log").send(exchange);
        }
    }

    private void route(HttpServerExchange exchange) {
        RequestTarget target = RequestTarget.of(exchange);
        String path = target.path();
        HttpString method = exchange.getRequestMethod();
        switch (path) {
            case "/" -> {
                requireMethod(exchange, Methods.GET);
                target.acceptOnly("GET /", PAGE_PARAMETERS);
                send(exchange, 200, "text/html; charset=utf-8", page);
            }
            case "/healthz" -> {
                requireMethod(exchange, Methods.GET);
                target.acceptOnly("GET /healthz", Set.of());
                // Answered by a worker, like every publish and subscribe, after taking the hub's
                // lock: a relay whose workers cannot run or whose hub is stuck fails its liveness
                // probe and is restarted instead of reporting itself healthy.
                exchange.dispatch(() -> {
                    boolean isLive = live.getAsBoolean();
                    IoThreadAnswer.send(exchange, () -> sendJson(exchange, isLive ? 200 : 503,
                            isLive ? "{\"status\":\"ok\"}" : "{\"status\":\"stuck\"}"));
                });
            }
            case "/readyz" -> {
                requireMethod(exchange, Methods.GET);
                target.acceptOnly("GET /readyz", Set.of());
                exchange.dispatch(() -> {
                    boolean isReady = ready.getAsBoolean();
                    IoThreadAnswer.send(exchange, () -> sendJson(exchange, isReady ? 200 : 503,
                            isReady ? "{\"status\":\"ready\"}" : "{\"status\":\"draining\"}"));
                });
            }
            case "/metrics" -> {
                requireMethod(exchange, Methods.GET);
                target.acceptOnly("GET /metrics", Set.of());
                // On a worker: scraping reads every meter, and some take the hub's lock.
                exchange.dispatch(() -> {
                    byte[] scrape = metrics.scrape().getBytes(StandardCharsets.UTF_8);
                    IoThreadAnswer.send(exchange, () -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                            scrape));
                });
            }
            case "/events" -> {
                requireStreamMethod(exchange);
                subscribe.subscribe(exchange, target, null);
            }
            case "/publish" -> {
                requireMethod(exchange, Methods.POST);
                publish.publish(exchange, target, null);
            }
            default -> {
                if (!path.startsWith(STREAMS_PREFIX)) {
                    throw new ApiError(404, "not_found", "no such endpoint: " + path
                            + " (see GET /streams/{stream}, POST /streams/{stream}, GET /events, POST /publish)");
                }
                String stream = path.substring(STREAMS_PREFIX.length());
                if (!StreamName.isValid(stream)) {
                    throw ApiError.badRequest("invalid_stream_name", StreamName.describeInvalid(stream));
                }
                if (method.equals(Methods.GET)) {
                    subscribe.subscribe(exchange, target, stream);
                } else if (method.equals(Methods.POST)) {
                    publish.publish(exchange, target, stream);
                } else {
                    throw methodNotAllowed(method, "GET, POST");
                }
            }
        }
    }

    private static void requireMethod(HttpServerExchange exchange, HttpString allowed) {
        HttpString method = exchange.getRequestMethod();
        if (method.equals(allowed)) {
            return;
        }
        if (allowed.equals(Methods.GET) && method.equals(Methods.HEAD)) {
            return; // Undertow sends the headers of the GET response without its body
        }
        throw methodNotAllowed(method, allowed.equals(Methods.GET) ? "GET, HEAD" : allowed.toString());
    }

    /** Streams are GET only: a HEAD would open a subscription that sends nothing. */
    private static void requireStreamMethod(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.GET)) {
            throw methodNotAllowed(exchange.getRequestMethod(), "GET");
        }
    }

    private static ApiError methodNotAllowed(HttpString method, String allowed) {
        return new ApiError(405, "method_not_allowed", method + " is not allowed here; use " + allowed)
                .withHeader("Allow", allowed);
    }

    private static void sendJson(HttpServerExchange exchange, int status, String json) {
        send(exchange, status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpServerExchange exchange, int status, String contentType, byte[] body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }

    private static byte[] loadPage() {
        try (InputStream in = RelayRouter.class.getResourceAsStream("/io/sserelay/relay/http/page.html")) {
            if (in == null) {
                throw new IllegalStateException("page.html is missing from the relay's resources");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
