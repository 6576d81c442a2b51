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
 * {@link History} and the {@link StreamHub} (its subscribers) touch it, under the hub's lock.
 */
final class StreamLog {

    final String name;
    final ArrayDeque<Event> history = new ArrayDeque<>();
    final Set<Subscriber> subscribers = new LinkedHashSet<>();
    /** Per origin, the highest sequence number that left this stream's history. */
    final Map<String, Long> evictedUpTo;
    /**
     * What the hub had forgotten about every stream when this log was made (shared and never
     * changed, but replaced when an origin is retired): this stream may be one whose record was
     * folded away before.
     */
    Map<String, Long> forgottenBefore;
    /** Heap charged to the history's budget while the log holds events; 0 when it holds none. */
    long chargedBytes;

    StreamLog(String name, Map<String, Long> evictedUpTo, Map<String, Long> forgottenBefore) {
        this.name = name;
        this.evictedUpTo = new HashMap<>(evictedUpTo);
        this.forgottenBefore = forgottenBefore;
    }

    void recordEvicted(Event event) {
        evictedUpTo.merge(event.origin(), event.seq(), Math::max);
    }

    /** The highest sequence number of {@code origin} this stream may have lost. */
    long lostUpTo(String origin) {
        return Math.max(evictedUpTo.getOrDefault(origin, 0L), forgottenBefore.getOrDefault(origin, 0L));
    }

    /** True when an event this reader has not seen is gone from the history. */
    boolean hasGapAfter(Position position) {
        return hasGapAfter(evictedUpTo, position) || hasGapAfter(forgottenBefore, position);
    }

    private static boolean hasGapAfter(Map<String, Long> lost, Position position) {
        for (Map.Entry<String, Long> entry : lost.entrySet()) {
            if (entry.getValue() > position.seqOf(entry.getKey())) {
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
