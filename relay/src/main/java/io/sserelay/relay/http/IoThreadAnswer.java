package io.sserelay.relay.http;

import io.undertow.server.HttpServerExchange;

/**
 * Where the relay answers a request that a worker handled: back on the connection's IO thread.
 *
 * <p>When an exchange ends, Undertow sets the connection up to read the next request. From a
 * worker thread it does so concurrently with the connection's IO thread, and kept-alive
 * connections were seen (a few times in thousands of test runs) left never reading again, with
 * the client's next request unread in the socket. On the IO thread the same step runs alone, so
 * every exchange the relay ends by itself ends there.
 *
 * <p>Threads: call from a task started with {@link HttpServerExchange#dispatch(Runnable)}; the
 * dispatch also keeps Undertow from ending the exchange when that task returns.
 */
public final class IoThreadAnswer {

    private IoThreadAnswer() {
    }

    public static void send(HttpServerExchange exchange, Runnable answer) {
        exchange.dispatch(exchange.getIoThread(), answer);
    }
}
