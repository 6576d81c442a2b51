package io.sserelay.relay.sse;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The relay's open subscriber connections, so that it can tell each one to go elsewhere when it
 * leaves its cluster or shuts down. Thread-safe.
 */
public final class SseConnections {

    private final Set<SseConnection> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    /** Registers a new connection; false when the relay is shutting down and it must not stream. */
    public boolean add(SseConnection connection) {
        open.add(connection);
        if (closing) {
            open.remove(connection);
            return false;
        }
        return true;
    }

    public void remove(SseConnection connection) {
        open.remove(connection);
    }

    /** Tells every connection to reconnect to another relay, as the relay leaves its cluster; new ones are still served. */
    public void sendAway() {
        open.forEach(SseConnection::relayLeaving);
    }

    /** Refuses new connections and tells every open one that the relay is shutting down. */
    public void close() {
        closing = true;
        open.forEach(SseConnection::relayClosing);
    }

    public int size() {
        return open.size();
    }
}
