package io.sserelay.relay.stream;

/**
 * A peer relay following this relay's own events (those of its origin, on every stream).
 * Called under the hub's lock, in sequence order; implementations only queue.
 */
public interface PeerSubscriber {

    /** First, once: what the peer missed after the position it gave. */
    void onCatchUp(OriginCatchUp catchUp);

    /** Each event this relay accepts from a publisher afterwards. */
    void onEvent(Event event);

    /**
     * This relay's horizon rose (see {@link Position#horizon()}): it retired an origin, or
     * learned a higher horizon from a peer. Also called once right after the catch-up.
     */
    void onHorizon(long horizon);

    /** Once, when the relay shuts down; no event follows. */
    void onRelayClosing();
}
