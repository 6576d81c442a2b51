package io.sserelay.relay.support;

import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.PeerSource;

import java.util.Set;
import java.util.function.Consumer;

/** A peer source the test changes at will, as the Kubernetes one changes with the SseRelay status. */
public final class SettablePeerSource implements PeerSource {

    private volatile Consumer<Set<PeerAddress>> listener;
    private volatile Set<PeerAddress> peers = Set.of();
    private volatile boolean read;

    /** A source whose (empty) set counts as read from the start, as a fixed list does. */
    public SettablePeerSource() {
        this(true);
    }

    /**
     * @param readAtStart false for a source that has not read its set until the first {@link #set},
     *                    as a relay whose SseRelay status has not been read yet
     */
    public SettablePeerSource(boolean readAtStart) {
        this.read = readAtStart;
    }

    @Override
    public void start(Consumer<Set<PeerAddress>> newListener) {
        this.listener = newListener;
        newListener.accept(peers);
    }

    public void set(Set<PeerAddress> newPeers) {
        peers = Set.copyOf(newPeers);
        read = true;
        Consumer<Set<PeerAddress>> current = listener;
        if (current != null) {
            current.accept(peers);
        }
    }

    @Override
    public boolean ready() {
        return read;
    }

    @Override
    public void close() {
        listener = null;
    }
}
