package io.sserelay.relay.peer;

import io.sserelay.relay.http.ApiError;
import io.sserelay.relay.http.RequestTarget;
import io.sserelay.relay.http.BearerToken;
import io.sserelay.relay.http.IoThreadAnswer;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.stream.InvalidPositionException;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.RelayClosingException;
import io.sserelay.relay.stream.StreamHub;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.util.Set;

/**
 * The peer port: {@code GET /peer/v1/log?after=<position>} with the peer token and the
 * caller's own peer address in {@code X-Relay-Peer}. Only relays in this relay's peer set are
 * served, so a relay removed from the set gets nothing more.
 */
public final class PeerHandler implements HttpHandler {

    public static final String PATH = "/peer/v1/log";
    static final HttpString X_RELAY_PEER = new HttpString("X-Relay-Peer");
    /**
     * The protocol version a follower speaks; absent means 1. Version 2 adds the relay's start
     * time to HELLO. A header, because a peer of an earlier version ignores it (it refuses
     * unknown query parameters) and answers in version 1.
     */
    static final HttpString X_RELAY_PEER_PROTOCOL = new HttpString("X-Relay-Peer-Protocol");
    static final int PROTOCOL = 2;
    private static final String AFTER = "after";

    private final StreamHub hub;
    private final SseWriters writers;
    private final PeerMesh mesh;
    private final BearerToken token;

    public PeerHandler(StreamHub hub, SseWriters writers, PeerMesh mesh, String peerToken) {
        this.hub = hub;
        this.writers = writers;
        this.mesh = mesh;
        this.token = new BearerToken("peer traffic", peerToken, false);
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        try {
            follow(exchange);
        } catch (ApiError error) {
            error.send(exchange);
        }
    }

    private void follow(HttpServerExchange exchange) {
        RequestTarget target = RequestTarget.of(exchange);
        if (!target.path().equals(PATH)) {
            throw new ApiError(404, "not_found", "the peer port serves only GET " + PATH);
        }
        if (!exchange.getRequestMethod().equals(Methods.GET)) {
            throw new ApiError(405, "method_not_allowed", "use GET").withHeader("Allow", "GET");
        }
        target.acceptOnly("GET " + PATH, Set.of(AFTER));
        token.check(exchange, target);
        String identity = exchange.getRequestHeaders().getFirst(X_RELAY_PEER);
        if (identity == null) {
            throw ApiError.badRequest("missing_peer_address", "send your own peer address in X-Relay-Peer");
        }
        PeerAddress peer;
        try {
            peer = PeerAddress.parse(identity);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_peer_address", "X-Relay-Peer " + e.getMessage());
        }
        if (!mesh.isPeer(peer)) {
            throw ApiError.forbidden("not_a_peer", peer + " is not in this relay's peer set");
        }
        Position after = after(target.single(AFTER));
        String protocol = exchange.getRequestHeaders().getFirst(X_RELAY_PEER_PROTOCOL);
        PeerStream stream = new PeerStream(exchange, writers, peer, String.valueOf(PROTOCOL).equals(protocol) ? 2 : 1,
                mesh::followerClosed);
        // As for subscribers: register on a worker (it takes the hub's lock), write on the IO thread.
        exchange.dispatch(() -> {
            try {
                hub.follow(after, stream);
            } catch (InvalidPositionException e) {
                ApiError refusal = ApiError.badRequest("invalid_position", e.getMessage());
                IoThreadAnswer.send(exchange, () -> refusal.send(exchange));
                return;
            } catch (RelayClosingException e) {
                IoThreadAnswer.send(exchange, () -> ApiError.shuttingDown().send(exchange));
                return;
            }
            mesh.followerOpened(stream);
            exchange.dispatch(exchange.getIoThread(), stream::start);
        });
    }

    private static Position after(String text) {
        if (text == null || text.isEmpty()) {
            return Position.EMPTY;
        }
        try {
            return Position.parse(text);
        } catch (InvalidPositionException e) {
            throw ApiError.badRequest("invalid_position", e.getMessage());
        }
    }
}
