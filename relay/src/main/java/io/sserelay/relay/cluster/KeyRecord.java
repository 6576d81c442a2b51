package io.sserelay.relay.cluster;

import java.util.List;

/**
 * A publish's {@code Idempotency-Key} as a stream's copies keep it: the digest of the request it
 * came with and the ids its events got. It travels with the events to the replica and to the
 * next owner, so that a retry reaching any relay is answered, not published twice, for as long
 * as the stream retains the events.
 */
public record KeyRecord(String key, String digest, List<EventId> ids) {

    public KeyRecord {
        ids = List.copyOf(ids);
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("a key names at least one event");
        }
    }

    public EventId last() {
        return ids.get(ids.size() - 1);
    }
}
