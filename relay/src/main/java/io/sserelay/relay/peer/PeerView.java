package io.sserelay.relay.peer;

import java.util.Set;

/**
 * The cluster's membership as the operator publishes it in the SseRelay status: its
 * {@code generation} ({@code status.peersGeneration}, which grows whenever the addresses change),
 * the relays that serve ({@code members}, from {@code status.peers}) and those whose pods are
 * being deleted ({@code leaving}, from {@code status.leavingPeers}). Generation 0 means the
 * source has no generation to give (an operator from before it wrote one). Immutable.
 */
public record PeerView(long generation, Set<PeerAddress> members, Set<PeerAddress> leaving) {

    public PeerView {
        if (generation < 0) {
            throw new IllegalArgumentException("a view's generation is never negative: " + generation);
        }
        members = Set.copyOf(members);
        leaving = Set.copyOf(leaving);
    }

    /** A fixed peer set: one generation, nobody leaving. */
    public static PeerView fixed(Set<PeerAddress> members) {
        return new PeerView(1, members, Set.of());
    }
}
