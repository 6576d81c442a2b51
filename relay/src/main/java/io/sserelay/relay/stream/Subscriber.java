package io.sserelay.relay.stream;

import java.util.List;

/**
 * Receives a subscription's events from the {@link StreamHub}. Every method is called with the
 * hub's lock held, in the order the hub accepted the events, so implementations only queue
 * and must never block.
 */
public interface Subscriber {

    /** First, once: what the subscriber missed since the position it resumed from. */
    void onCatchUp(CatchUp catchUp);

    /** Each live event of a subscribed stream. */
    void onEvent(Event event);

    /**
     * Events of these subscribed streams were lost before this relay received them (a peer
     * that was out of reach has evicted them meanwhile); the subscriber should be told.
     */
    void onGap(List<String> streams);

    /** When the relay shuts down or leaves its cluster; no event follows. */
    void onRelayClosing();

    /**
     * This relay learned of {@code origin}, a relay that stopped before it joined, whose events
     * up to {@code lastSeq} it never had ({@link StreamHub#adoptStopped}). A subscriber that
     * resumed here waiting for some of them should be told they will not come.
     *
     * @return whether the subscriber was told it missed events
     */
    default boolean onOriginLearned(String origin, long lastSeq) {
        return false;
    }
}
