package io.sserelay.relay.peer;

import io.sserelay.relay.http.AccessControl;
import io.sserelay.relay.http.ApiError;
import io.sserelay.relay.http.IoThreadAnswer;
import io.sserelay.relay.http.RequestTarget;
import io.sserelay.relay.http.UnexpectedErrors;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.stream.InvalidPositionException;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.RelayClosingException;
import io.sserelay.relay.stream.StreamHub;
import io.undertow.server.HttpHandler;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;
import io.sserelay.relay.replication.ReplicationGate;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The peer port: {@code POST /peer/v1/log?after=<position>} with the peer token and the
 * caller's own peer address in {@code X-Relay-Peer}. Only relays in this relay's peer set are
 * served, so a relay removed from the set gets nothing more; a request from a relay not in the
 * set is held until the set changes, for a moment at most, since it may only be new
 * (docs/clustering.md#joining).
 *
 * <p>The request's chunked body stays open while the response streams: it is the follower's
 * channel for acknowledging replicated publishes (ACK frames, read by {@link PeerStream}). The
 * older {@code GET}, without a body, is still served, for followers of an earlier version during
 * a rolling update: they get committed events only, and never count as an acknowledgement.
 */
public final class PeerHandler implements HttpHandler {

    public static final String PATH = "/peer/v1/log";
    static final HttpString X_RELAY_PEER = new HttpString("X-Relay-Peer");
    /**
     * The protocol version a follower speaks; absent means 1. Version 2 adds the relay's start
     * time to HELLO, and HORIZON frames. A header, because a peer of an earlier version ignores it
     * (it refuses unknown query parameters) and answers in version 1. Version 3 is a POST, whose
     * body carries acknowledgements (see {@link PeerFrames}); a relay that knows only GET refuses
     * it with 405, and the follower asks again with GET and version 2.
     */
    static final HttpString X_RELAY_PEER_PROTOCOL = new HttpString("X-Relay-Peer-Protocol");
    static final int HORIZON_PROTOCOL = 2;
    static final int ACKNOWLEDGING_PROTOCOL = 3;
    private static final String AFTER = "after";
    /**
     * The longest a follow request from outside the peer set waits for the set to change: well
     * under a follower's read timeout (at least 2 s), which would otherwise end it first.
     */
    static final Duration STRANGER_WAIT = Duration.ofMillis(1000);

    private final StreamHub hub;
    private final SseWriters writers;
    private final PeerMesh mesh;
    private final AccessControl token;
    private final ReplicationGate gate;
    private final UnexpectedErrors errors;

    /** @param gate where followers' acknowledgements go, or null when publishes are not replicated */
    public PeerHandler(StreamHub hub, SseWriters writers, PeerMesh mesh, String peerToken, ReplicationGate gate,
            UnexpectedErrors errors) {
        this.errors = errors;
        this.hub = hub;
        this.writers = writers;
        this.mesh = mesh;
        this.token = AccessControl.forPeers(peerToken);
        this.gate = gate;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        handle(exchange, true);
    }

    private void handle(HttpServerExchange exchange, boolean mayWait) {
        try {
            follow(exchange, mayWait);
        } catch (ApiError error) {
            error.send(exchange);
        } catch (RuntimeException e) {
            errors.answer(exchange, "peer", e);
        }
    }

    private void follow(HttpServerExchange exchange, boolean mayWait) {
        RequestTarget target = RequestTarget.of(exchange);
        if (!target.path().equals(PATH)) {
            throw new ApiError(404, "not_found", "the peer port serves only POST " + PATH);
        }
        boolean acknowledges = exchange.getRequestMethod().equals(Methods.POST);
        if (!acknowledges && !exchange.getRequestMethod().equals(Methods.GET)) {
            throw new ApiError(405, "method_not_allowed", "use POST (or GET, which cannot acknowledge)")
                    .withHeader("Allow", "POST, GET");
        }
        target.acceptOnly(exchange.getRequestMethod() + " " + PATH, Set.of(AFTER));
        token.checkPublish(exchange, target);
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
        mesh.contacted(peer);
        if (!mesh.isPeer(peer)) {
            if (mayWait && waitForPeerSet(exchange)) {
                return;
            }
            throw ApiError.forbidden("not_a_peer", peer + " is not in this relay's peer set");
        }
        if (acknowledges && !exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING)) {
            throw ApiError.badRequest("not_chunked", "send the follow request's body chunked"
                    + " (Transfer-Encoding: chunked): it carries the acknowledgements while the response streams");
        }
        if (acknowledges) {
            // The body carries ACK frames for as long as the stream lasts; each is checked as it
            // is read (AckReader), so the listener's bound on request bodies does not apply.
            exchange.setMaxEntitySize(0);
        }
        Position after = after(target.single(AFTER));
        int protocol = acknowledges ? ACKNOWLEDGING_PROTOCOL
                : String.valueOf(HORIZON_PROTOCOL).equals(exchange.getRequestHeaders().getFirst(X_RELAY_PEER_PROTOCOL))
                ? HORIZON_PROTOCOL : 1;
        PeerStream stream = new PeerStream(exchange, writers, peer, protocol, mesh::followerClosed,
                gate == null ? null : gate::acknowledged);
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

    /**
     * Holds a follow request from a relay outside the peer set until the set changes, or for
     * {@link #STRANGER_WAIT} at most, and then decides it again: a relay that has not read its
     * set yet, or not since the asking relay joined it, admits it the moment it does, instead of
     * refusing it into a backoff. The request waits on no thread.
     *
     * @return false when too many requests wait already: refuse this one now
     */
    private boolean waitForPeerSet(HttpServerExchange exchange) {
        HeldFollow held = new HeldFollow(exchange);
        if (!mesh.awaitChange(held)) {
            return false;
        }
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> exchange.getIoThread()
                .executeAfter(held, STRANGER_WAIT.toMillis(), TimeUnit.MILLISECONDS));
        return true;
    }

    /**
     * A follow request held by {@link #waitForPeerSet}: run once, by whichever comes first, the
     * peer set's change (the peer source's thread) or the timer (the IO thread), it decides the
     * request again on its IO thread, without waiting a second time.
     */
    private final class HeldFollow implements Runnable {

        private final HttpServerExchange exchange;
        private final AtomicBoolean decided = new AtomicBoolean();

        HeldFollow(HttpServerExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public void run() {
            if (!decided.compareAndSet(false, true)) {
                return;
            }
            mesh.cancelAwait(this);
            exchange.getIoThread().execute(() -> {
                if (exchange.getConnection().isOpen()) { // else the asking relay gave up meanwhile
                    Connectors.executeRootHandler(ex -> handle(ex, false), exchange);
                }
            });
        }
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
