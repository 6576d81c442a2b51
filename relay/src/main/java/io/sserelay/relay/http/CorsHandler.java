package io.sserelay.relay.http;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.util.List;
import java.util.Set;

/**
 * Cross-origin access for browsers on other origins (Fetch standard, "CORS protocol"). An
 * allowed {@code Origin} is echoed back with {@code Vary: Origin}; preflights get the methods
 * and headers the relay's API uses. Requests from other origins are served without CORS
 * headers, so the browser withholds the response; preflights from them are refused.
 */
public final class CorsHandler implements HttpHandler {

    private static final HttpString ALLOW_ORIGIN = new HttpString("Access-Control-Allow-Origin");
    private static final HttpString ALLOW_METHODS = new HttpString("Access-Control-Allow-Methods");
    private static final HttpString ALLOW_HEADERS = new HttpString("Access-Control-Allow-Headers");
    private static final HttpString MAX_AGE = new HttpString("Access-Control-Max-Age");
    private static final HttpString REQUEST_METHOD = new HttpString("Access-Control-Request-Method");

    private static final HttpString ALLOW_CREDENTIALS = new HttpString("Access-Control-Allow-Credentials");

    private final Set<String> allowedOrigins;
    private final boolean anyOrigin;
    private final boolean allowCredentials;
    private final HttpHandler next;

    /**
     * @param allowCredentials whether allowed origins may send cookies (subscribers' tokens come
     *                         in one); the configuration then lists exact origins, never {@code *}
     */
    public CorsHandler(List<String> allowedOrigins, boolean allowCredentials, HttpHandler next) {
        this.anyOrigin = allowedOrigins.contains("*");
        this.allowedOrigins = Set.copyOf(allowedOrigins);
        this.allowCredentials = allowCredentials;
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (!allowedOrigins.isEmpty()) {
            // Responses differ by Origin, so caches must key on it, allowed or not.
            exchange.getResponseHeaders().add(Headers.VARY, "Origin");
        }
        String origin = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (origin == null) {
            next.handleRequest(exchange);
            return;
        }
        boolean allowed = anyOrigin || allowedOrigins.contains(origin);
        boolean preflight = exchange.getRequestMethod().equals(Methods.OPTIONS)
                && exchange.getRequestHeaders().contains(REQUEST_METHOD);
        if (preflight) {
            if (!allowed) {
                ApiError.forbidden("origin_not_allowed", "origin '" + origin
                        + "' is not in RELAY_CORS_ALLOWED_ORIGINS").send(exchange);
                return;
            }
            allow(exchange, origin);
            exchange.getResponseHeaders()
                    .put(ALLOW_METHODS, "GET, POST, OPTIONS")
                    .put(ALLOW_HEADERS, "Authorization, Content-Type, Last-Event-ID")
                    .put(MAX_AGE, "600");
            exchange.setStatusCode(204);
            exchange.endExchange();
            return;
        }
        if (allowed) {
            allow(exchange, origin);
        }
        next.handleRequest(exchange);
    }

    private void allow(HttpServerExchange exchange, String origin) {
        exchange.getResponseHeaders().put(ALLOW_ORIGIN, origin);
        if (allowCredentials) {
            exchange.getResponseHeaders().put(ALLOW_CREDENTIALS, "true");
        }
    }
}
