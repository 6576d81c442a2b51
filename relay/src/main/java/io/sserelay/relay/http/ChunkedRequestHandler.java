package io.sserelay.relay.http;

import io.undertow.conduits.ChunkedStreamSourceConduit;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpServerConnection;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * Gives a request with a chunked body the relay's decoder ({@link ChunkedRequestConduit}) in
 * place of the one Undertow set up while parsing the head. It must come first in a listener's
 * chain: Undertow makes the exchange's request channel from the connection's source conduit the
 * first time anything reads the body, and reads nothing of the body before that.
 */
final class ChunkedRequestHandler implements HttpHandler {

    private final HttpHandler next;

    ChunkedRequestHandler(HttpHandler next) {
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (exchange.getConnection() instanceof HttpServerConnection connection && exchange.isRequestChannelAvailable()) {
            ConduitStreamSourceChannel source = connection.getChannel().getSourceChannel();
            if (source.getConduit() instanceof ChunkedStreamSourceConduit) {
                source.setConduit(new ChunkedRequestConduit(exchange, connection));
            }
        }
        next.handleRequest(exchange);
    }
}
