package io.sserelay.relay.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sserelay.relay.metrics.RelayMetrics;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The relay's health and metrics endpoints. Health is answered on the public port (probes and
 * load balancers) and on the admin port; metrics only on the admin port, which the public
 * Service does not expose: they name peers' addresses and show the relay's load.
 */
public final class OperationalEndpoints {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RelayMetrics metrics;
    private final Supplier<Readiness> readiness;
    private final BooleanSupplier live;

    /**
     * @param readiness whether this relay should receive new traffic, and if not, why
     * @param live  whether this relay can still serve; checked on a worker, may take a moment
     */
    public OperationalEndpoints(RelayMetrics metrics, Supplier<Readiness> readiness, BooleanSupplier live) {
        this.metrics = metrics;
        this.readiness = readiness;
        this.live = live;
    }

    void healthz(HttpServerExchange exchange, RequestTarget target) {
        requireGet(exchange);
        target.acceptOnly("GET /healthz", Set.of());
        // Answered by a worker, like every publish: a relay whose workers cannot run, or whose
        // cluster protocol's thread has stopped ticking, fails its liveness probe and is restarted
        // instead of reporting itself healthy.
        exchange.dispatch(() -> {
            boolean isLive = live.getAsBoolean();
            IoThreadAnswer.send(exchange, () -> sendJson(exchange, isLive ? 200 : 503,
                    isLive ? "{\"status\":\"ok\"}" : "{\"status\":\"stuck\"}"));
        });
    }

    /**
     * @param detailed whether to say what a joining relay waits for (peer addresses): on the
     *                 admin port only, like the metrics that name them
     */
    void readyz(HttpServerExchange exchange, RequestTarget target, boolean detailed) {
        requireGet(exchange);
        target.acceptOnly("GET /readyz", Set.of());
        exchange.dispatch(() -> {
            Readiness now = readiness.get();
            ObjectNode body = JSON.createObjectNode().put("status", now.status().word());
            if (detailed && !now.waitingFor().isEmpty()) {
                now.waitingFor().forEach(body.putArray("waitingFor")::add);
            }
            IoThreadAnswer.send(exchange, () -> sendJson(exchange, now.ready() ? 200 : 503, body.toString()));
        });
    }

    void metrics(HttpServerExchange exchange, RequestTarget target) {
        requireGet(exchange);
        target.acceptOnly("GET /metrics", Set.of());
        // On a worker: scraping reads every meter, which takes a moment with many of them.
        exchange.dispatch(() -> {
            byte[] scrape = metrics.scrape().getBytes(StandardCharsets.UTF_8);
            IoThreadAnswer.send(exchange, () -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                    scrape));
        });
    }

    /** GET, or HEAD, for which Undertow sends the headers of the GET response without its body. */
    static void requireGet(HttpServerExchange exchange) {
        HttpString method = exchange.getRequestMethod();
        if (!method.equals(Methods.GET) && !method.equals(Methods.HEAD)) {
            throw methodNotAllowed(method, "GET, HEAD");
        }
    }

    static ApiError methodNotAllowed(HttpString method, String allowed) {
        return new ApiError(405, "method_not_allowed", method + " is not allowed here; use " + allowed)
                .withHeader("Allow", allowed);
    }

    static void sendJson(HttpServerExchange exchange, int status, String json) {
        send(exchange, status, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpServerExchange exchange, int status, String contentType, byte[] body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }
}
