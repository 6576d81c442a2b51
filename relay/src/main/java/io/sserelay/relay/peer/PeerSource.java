package io.sserelay.relay.peer;

import java.util.Set;
import java.util.function.Consumer;

/**
 * Where a relay learns who its peers are. The set may change at any time; the relay connects
 * to new peers and drops removed ones without restarting. It may include the relay itself,
 * which the relay recognises and skips.
 */
public interface PeerSource extends AutoCloseable {

    /** Starts delivering the peer set: the whole set now, and again after every change. */
    void start(Consumer<Set<PeerAddress>> listener);

    @Override
    void close();
}
