package io.sserelay.relay.http;

import io.undertow.server.HttpServerExchange;

/**
 * Where the relay answers a request that a worker handled: back on the connection's IO thread.
 *
 * <p>When an exchange ends, Undertow sets the connection up to read the next request. From a
 * worker thread it does so concurrently with the connection's IO thread, and kept-alive
 * connections were seen left never reading again, the client's next request unread in the socket
 * (in about one run in five of a test that publishes while slow subscribers are cut off). On the
 * IO thread the same step runs alone, so every exchange the relay ends by itself ends there.
 *
 * <p>Threads: any. The exchange must be dispatched already (the handler called
 * {@link HttpServerExchange#dispatch(Runnable)}), so that Undertow does not end it when the
 * handler returns; a task run that way is outside Undertow's call, and nothing ends the exchange
 * when it returns either.
 */
public final class IoThreadAnswer {

    private IoThreadAnswer() {
    }

    public static void send(HttpServerExchange exchange, Runnable answer) {
        exchange.dispatch(exchange.getIoThread(), answer);
    }
}
