package io.sserelay.relay.support;

import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.PeerSource;

import java.util.Set;
import java.util.function.Consumer;

/** A peer source the test changes at will, as the Kubernetes one changes with the SseRelay status. */
public final class SettablePeerSource implements PeerSource {

    private volatile Consumer<Set<PeerAddress>> listener;
    private volatile Set<PeerAddress> peers = Set.of();

    @Override
    public void start(Consumer<Set<PeerAddress>> newListener) {
        this.listener = newListener;
        newListener.accept(peers);
    }

    public void set(Set<PeerAddress> newPeers) {
        peers = Set.copyOf(newPeers);
        Consumer<Set<PeerAddress>> current = listener;
        if (current != null) {
            current.accept(peers);
        }
    }

    @Override
    public void close() {
        listener = null;
    }
}
