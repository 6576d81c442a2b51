package io.sserelay.relay.http;

import io.sserelay.relay.stream.StreamName;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;

/** Maps the public HTTP API of the relay onto its handlers; see {@code docs/relay.md}. */
public final class RelayRouter implements HttpHandler {

    private static final String STREAMS_PREFIX = "/streams/";
    /** The live page reads the stream to show from its own URL. */
    private static final Set<String> PAGE_PARAMETERS = Set.of("stream");

    private final SubscribeHandler subscribe;
    private final PublishHandler publish;
    private final OperationalEndpoints endpoints;
    private final byte[] page;
    private final UnexpectedErrors errors;

    public RelayRouter(SubscribeHandler subscribe, PublishHandler publish, OperationalEndpoints endpoints,
            UnexpectedErrors errors) {
        this.errors = errors;
        this.subscribe = subscribe;
        this.publish = publish;
        this.endpoints = endpoints;
        this.page = loadPage();
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        try {
            route(exchange);
        } catch (ApiError error) {
            error.send(exchange);
        } catch (RuntimeException e) {
            errors.answer(exchange, "request", e);
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
                OperationalEndpoints.send(exchange, 200, "text/html; charset=utf-8", page);
            }
            case "/healthz" -> endpoints.healthz(exchange, target);
            case "/readyz" -> endpoints.readyz(exchange, target, false);
            case "/metrics" -> throw new ApiError(404, "not_found", "metrics are served on the relay's admin port"
                    + " (RELAY_ADMIN_PORT), which the public Service does not expose");
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
                    throw OperationalEndpoints.methodNotAllowed(method, "GET, POST");
                }
            }
        }
    }

    private static void requireMethod(HttpServerExchange exchange, HttpString allowed) {
        if (allowed.equals(Methods.GET)) {
            OperationalEndpoints.requireGet(exchange);
        } else if (!exchange.getRequestMethod().equals(allowed)) {
            throw OperationalEndpoints.methodNotAllowed(exchange.getRequestMethod(), allowed.toString());
        }
    }

    /** Streams are GET only: a HEAD would open a subscription that sends nothing. */
    private static void requireStreamMethod(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.GET)) {
            throw OperationalEndpoints.methodNotAllowed(exchange.getRequestMethod(), "GET");
        }
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
