package io.sserelay.relay.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One stream's retained events, what has been evicted from it, and its subscribers. Only the
 * {@link StreamHub} touches it, under the hub's lock.
 */
final class StreamLog {

    final String name;
    final ArrayDeque<Event> history = new ArrayDeque<>();
    final Set<Subscriber> subscribers = new LinkedHashSet<>();
    /** Per origin, the highest sequence number that left this stream's history. */
    final Map<String, Long> evictedUpTo;

    StreamLog(String name, Map<String, Long> evictedUpTo) {
        this.name = name;
        this.evictedUpTo = new HashMap<>(evictedUpTo);
    }

    void recordEvicted(Event event) {
        evictedUpTo.merge(event.origin(), event.seq(), Math::max);
    }

    /** True when an event this reader has not seen is gone from the history. */
    boolean hasGapAfter(Position position) {
        for (Map.Entry<String, Long> evicted : evictedUpTo.entrySet()) {
            if (evicted.getValue() > position.seqOf(evicted.getKey())) {
                return true;
            }
        }
        return false;
    }

    void collectAfter(Position position, List<Event> into) {
        for (Event event : history) {
            if (!position.covers(event.origin(), event.seq())) {
                into.add(event);
            }
        }
    }

    boolean isIdle() {
        return history.isEmpty() && subscribers.isEmpty();
    }

    List<Subscriber> subscriberSnapshot() {
        return new ArrayList<>(subscribers);
    }
}
