package io.sserelay.relay.peer;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Where a relay learns who its peers are. The set may change at any time; the relay connects
 * to new peers and drops removed ones without restarting. It may include the relay itself,
 * which the relay recognises and skips.
 */
public interface PeerSource extends AutoCloseable {

    /** Starts delivering the peer set: the whole set, as soon as it is known, and after every change. */
    void start(Consumer<Set<PeerAddress>> listener);

    /** Whether the peer set has been delivered at least once; the relay is not ready before. */
    default boolean ready() {
        return true;
    }

    @Override
    void close();
}
