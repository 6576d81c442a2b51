package io.sserelay.relay.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port ({@code RELAY_ADMIN_PORT}): {@code /metrics}, {@code /healthz} and
 * {@code /readyz}. The operator's Service does not expose it, and its NetworkPolicy admits it
 * only from where Prometheus runs.
 */
public final class AdminRouter implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(AdminRouter.class);

    private final OperationalEndpoints endpoints;

    public AdminRouter(OperationalEndpoints endpoints) {
        this.endpoints = endpoints;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        try {
            RequestTarget target = RequestTarget.of(exchange);
            switch (target.path()) {
                case "/metrics" -> endpoints.metrics(exchange, target);
                case "/healthz" -> endpoints.healthz(exchange, target);
                case "/readyz" -> endpoints.readyz(exchange, target);
                default -> throw new ApiError(404, "not_found", "no such endpoint on the admin port: " + target.path()
                        + " (see GET /metrics, GET /healthz, GET /readyz)");
            }
        } catch (ApiError error) {
            error.send(exchange);
        } catch (RuntimeException e) {
            LOG.error("unexpected failure serving {} {} on the admin port", exchange.getRequestMethod(),
                    exchange.getRequestURI(), e);
            new ApiError(500, "internal_error", "the relay failed to serve this request; see its log").send(exchange);
        }
    }
}
