package io.sserelay.relay.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * The admin port ({@code RELAY_ADMIN_PORT}): {@code /metrics}, {@code /healthz} and
 * {@code /readyz}. The operator's Service does not expose it, and its NetworkPolicy admits it
 * only from where Prometheus runs.
 */
public final class AdminRouter implements HttpHandler {

    private final OperationalEndpoints endpoints;
    private final UnexpectedErrors errors;

    public AdminRouter(OperationalEndpoints endpoints, UnexpectedErrors errors) {
        this.endpoints = endpoints;
        this.errors = errors;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        try {
            RequestTarget target = RequestTarget.of(exchange);
            switch (target.path()) {
                case "/metrics" -> endpoints.metrics(exchange, target);
                case "/healthz" -> endpoints.healthz(exchange, target);
                case "/readyz" -> endpoints.readyz(exchange, target, true);
                default -> throw new ApiError(404, "not_found", "no such endpoint on the admin port: " + target.path()
                        + " (see GET /metrics, GET /healthz, GET /readyz)");
            }
        } catch (ApiError error) {
            error.send(exchange);
        } catch (RuntimeException e) {
            errors.answer(exchange, "admin", e);
        }
    }
}
