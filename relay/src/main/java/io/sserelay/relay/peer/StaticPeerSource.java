package io.sserelay.relay.peer;

import java.util.Set;
import java.util.function.Consumer;

/** A fixed peer set, from configuration ({@code RELAY_PEERS}). */
public final class StaticPeerSource implements PeerSource {

    private final Set<PeerAddress> peers;

    public StaticPeerSource(Set<PeerAddress> peers) {
        this.peers = Set.copyOf(peers);
    }

    @Override
    public void start(Consumer<PeerView> listener) {
        listener.accept(PeerView.fixed(peers));
    }

    @Override
    public void close() {
        // nothing to release
    }
}
