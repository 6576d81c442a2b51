package io.sserelay.relay.support;

import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.PeerSource;
import io.sserelay.relay.peer.PeerView;

import java.util.Set;
import java.util.function.Consumer;

/**
 * A peer source the test changes at will, as the Kubernetes one changes with the SseRelay
 * status: each new set is a new generation, as the operator numbers them.
 */
public final class SettablePeerSource implements PeerSource {

    private volatile Consumer<PeerView> listener;
    private volatile PeerView view;
    private volatile boolean read;

    /** A source that counts as read from the start, though it has no view until the test sets one. */
    public SettablePeerSource() {
        this(true);
    }

    /**
     * @param readAtStart false for a source that has not read its set until the first {@link #set},
     *                    as a relay whose SseRelay status has not been read yet
     */
    public SettablePeerSource(boolean readAtStart) {
        this.read = readAtStart;
        // Until the test sets one there is no view, which the real source says with generation 0.
        this.view = new PeerView(0, Set.of(), Set.of());
    }

    @Override
    public void start(Consumer<PeerView> newListener) {
        this.listener = newListener;
        newListener.accept(view);
    }

    /** A new generation whose members are {@code newPeers}, with nobody leaving. */
    public synchronized void set(Set<PeerAddress> newPeers) {
        set(new PeerView(view.generation() + 1, newPeers, Set.of()));
    }

    public synchronized void set(PeerView newView) {
        view = newView;
        read = true;
        Consumer<PeerView> current = listener;
        if (current != null) {
            current.accept(view);
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
