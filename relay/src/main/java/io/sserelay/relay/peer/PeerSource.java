package io.sserelay.relay.peer;

import java.util.function.Consumer;

/**
 * Where a relay learns who its peers are: the operator's {@link PeerView}. The view may change
 * at any time; the relay connects to new peers and drops removed ones without restarting. It may
 * include the relay itself, which the relay recognises and skips.
 */
public interface PeerSource extends AutoCloseable {

    /** Starts delivering the view: the whole of it, as soon as it is known, and after every change. */
    void start(Consumer<PeerView> listener);

    /** Whether the view has been delivered at least once; the relay is not ready before. */
    default boolean ready() {
        return true;
    }

    @Override
    void close();
}
