package io.sserelay.relay.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Serves a test page from the test resources and collects what the page reports back with
 * {@code POST /report} (one JSON object per report, numbered by the page).
 */
public final class BrowserPage implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final List<JsonNode> reports = new CopyOnWriteArrayList<>();

    public BrowserPage(String resource) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] page = load(resource);
        server.createContext("/page.html", exchange -> respond(exchange, 200, "text/html; charset=utf-8", page));
        server.createContext("/report", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                reports.add(JSON.readTree(body));
            }
            respond(exchange, 204, null, null);
        });
        server.start();
    }

    /** Also serves {@code path}, answering each request with what {@code body} gives then. */
    public BrowserPage serve(String path, String contentType, Supplier<String> body) {
        server.createContext(path, exchange -> respond(exchange, 200, contentType,
                body.get().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return this;
    }

    public String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The reports of one kind in the order the page made them. */
    public List<JsonNode> reports(String kind) {
        return reports.stream().filter(r -> r.get("kind").asText().equals(kind))
                .sorted(Comparator.comparingInt(r -> r.get("n").asInt())).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private static void respond(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        if (type != null) {
            exchange.getResponseHeaders().set("Content-Type", type);
        }
        exchange.sendResponseHeaders(status, body == null ? -1 : body.length);
        if (body != null) {
            exchange.getResponseBody().write(body);
        }
        exchange.close();
    }

    private static byte[] load(String resource) {
        try (InputStream in = BrowserPage.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
