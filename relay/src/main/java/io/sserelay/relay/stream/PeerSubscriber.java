package io.sserelay.relay.stream;

/**
 * A peer relay following this relay's own events (those of its origin, on every stream).
 * Called under the hub's lock, in sequence order; implementations only queue.
 *
 * <p>A follower that {@link #holdsPending() holds pending events} takes part in replicated
 * publishes: it gets each one when it is numbered ({@link #onHeld}), then its outcome
 * ({@link #onCommitted} or {@link #onAborted}), instead of {@link #onEvent} for them.
 */
public interface PeerSubscriber {

    /** First, once: what the peer missed after the position it gave. */
    void onCatchUp(OriginCatchUp catchUp);

    /** Each event this relay accepts from a publisher afterwards (for a holding follower, only unreplicated ones). */
    void onEvent(Event event);

    /**
     * This relay's horizon rose (see {@link Position#horizon()}): it retired an origin, or
     * learned a higher horizon from a peer. Also called once right after the catch-up.
     */
    void onHorizon(long horizon);

    /** Once, when the relay shuts down; no event follows. */
    void onRelayClosing();

    /** Whether this follower can hold and acknowledge replicated publishes. */
    default boolean holdsPending() {
        return false;
    }

    /** A replicated publish was numbered; hold its events until its outcome. */
    default void onHeld(HeldBatch batch) {
    }

    /** The held events up to {@code upTo} are committed. */
    default void onCommitted(long upTo) {
    }

    /** The held events {@code firstSeq..lastSeq} are aborted: they never exist. */
    default void onAborted(long firstSeq, long lastSeq) {
    }
}
