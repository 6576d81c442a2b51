package io.sserelay.relay.peer;

import io.sserelay.relay.cluster.ClusterRuntime;
import io.sserelay.relay.cluster.FrameDecoder;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.MessageCodec;
import io.sserelay.relay.cluster.MessageCodec.MalformedFrameException;
import io.sserelay.relay.http.AccessControl;
import io.sserelay.relay.http.ApiError;
import io.sserelay.relay.http.RequestTarget;
import io.sserelay.relay.http.UnexpectedErrors;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import org.xnio.IoUtils;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

/**
 * The receiving side of the stream-ownership protocol: {@code POST /peer/v2/cluster} with the
 * peer token and the sender's peer address in {@code X-Relay-Peer}, whose chunked body is a
 * stream of frames ({@link MessageCodec}) that lasts as long as the connection. Each frame is
 * decoded on the IO thread as its bytes arrive and handed to the {@link ClusterRuntime}; the
 * endpoint answers only at the end of the body, or to refuse: a missing or wrong token, a
 * malformed frame, or a frame whose sender is not the connection's peer.
 */
public final class ClusterEndpoint<P> implements HttpHandler {

    public static final String PATH = "/peer/v2/cluster";
    /** The header in which a relay names its own peer address, which its frames must carry as their sender. */
    public static final String X_RELAY_PEER = "X-Relay-Peer";

    private final ClusterRuntime<P> runtime;
    private final MessageCodec<P> codec;
    private final AccessControl token;
    private final UnexpectedErrors errors;

    public ClusterEndpoint(ClusterRuntime<P> runtime, MessageCodec<P> codec, String peerToken, UnexpectedErrors errors) {
        this.runtime = runtime;
        this.codec = codec;
        this.token = AccessControl.forPeers(peerToken);
        this.errors = errors;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        try {
            receive(exchange);
        } catch (ApiError error) {
            error.send(exchange);
        } catch (RuntimeException e) {
            errors.answer(exchange, "peer", e);
        }
    }

    private void receive(HttpServerExchange exchange) {
        RequestTarget target = RequestTarget.of(exchange);
        if (!target.path().equals(PATH)) {
            throw new ApiError(404, "not_found", "no such peer endpoint");
        }
        if (!exchange.getRequestMethod().equals(Methods.POST)) {
            throw new ApiError(405, "method_not_allowed", "use POST").withHeader("Allow", "POST");
        }
        target.acceptOnly("POST " + PATH, Set.of());
        token.checkPublish(exchange, target);
        String identity = exchange.getRequestHeaders().getFirst(X_RELAY_PEER);
        if (identity == null) {
            throw ApiError.badRequest("missing_peer_address", "send your own peer address in X-Relay-Peer");
        }
        String sender;
        try {
            sender = PeerAddress.parse(identity).toString();
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_peer_address", "X-Relay-Peer " + e.getMessage());
        }
        if (!exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING)) {
            throw ApiError.badRequest("not_chunked", "send the frames in a chunked body (Transfer-Encoding: chunked)");
        }
        exchange.setMaxEntitySize(0); // the body lasts as long as the connection; each frame is bounded
        FrameDecoder<P> decoder = new FrameDecoder<>(codec);
        exchange.getRequestReceiver().receivePartialBytes((ex, bytes, last) -> {
            List<Envelope> envelopes;
            try {
                envelopes = decoder.feed(ByteBuffer.wrap(bytes));
            } catch (MalformedFrameException e) {
                refuse(ex, ApiError.badRequest("malformed_frame", e.getMessage()));
                return;
            }
            for (Envelope envelope : envelopes) {
                if (!envelope.from().equals(sender)) {
                    refuse(ex, ApiError.badRequest("wrong_sender", "a frame from " + envelope.from()
                            + " on the connection of " + sender));
                    return;
                }
            }
            runtime.receive(envelopes); // what arrived together is one step of the protocol
            if (last) {
                ex.setStatusCode(204);
                ex.endExchange();
            }
        }, (ex, error) -> IoUtils.safeClose(ex.getConnection()));
    }

    private static void refuse(HttpServerExchange exchange, ApiError error) {
        exchange.setPersistent(false);
        exchange.getRequestReceiver().pause();
        error.send(exchange);
    }
}
