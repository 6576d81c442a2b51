package io.sserelay.relay.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the relay retains for resume and what it knows it lost: each stream's retained events
 * within {@link HistoryLimits}, per stream and origin the highest sequence number that is gone
 * (evicted here, or never received because a peer evicted it first), and from those what a
 * reader at some position missed.
 *
 * <p>A stream's record of losses outlives its log: a stream dropped while idle leaves a
 * tombstone, and the oldest tombstones beyond the limits fold into one record for every stream
 * made afterwards ({@link #forgotten}), which makes a resume on any stream cautious (a reset)
 * rather than wrong.
 *
 * <p>Not thread-safe: the {@link StreamHub} calls it under its lock.
 */
final class History {

    private final String origin;
    private final HistoryLimits limits;
    private final Map<String, StreamLog> logs = new HashMap<>();
    /** Retained events of all streams in acceptance order; entries marked evicted are skipped. */
    private final ArrayDeque<Event> retained = new ArrayDeque<>();
    /**
     * What was evicted from streams that were dropped while idle, by stream name, so that a
     * stream that comes back knows exactly what it lost. The oldest entries beyond the
     * history's limits fold into {@link #forgotten}.
     */
    private final LinkedHashMap<String, Map<String, Long>> tombstones = new LinkedHashMap<>();
    /**
     * Eviction watermarks of streams whose tombstones were folded away: any stream made after
     * the fold may be one. Replaced, never changed, so that logs share it.
     */
    private Map<String, Long> forgotten = Map.of();
    /** Retained events of each origin other than this relay's, while there are any. */
    private final Map<String, Count> retainedByOrigin = new HashMap<>();
    private long staleInRetained;

    // Written only under the hub's lock; volatile so that metrics can read them without it.
    private volatile long retainedEvents;
    /** Heap of the retained events. */
    private volatile long retainedBytes;
    /** Streams that hold retained events, and their logs' heap. */
    private volatile long retainedStreams;
    private volatile long streamBytes;
    /** Heap of the tombstones. */
    private volatile long tombstoneBytes;
    private volatile int tombstoneCount;
    private volatile int liveStreams;

    /** @param origin this relay's origin, whose retained events are not counted per origin */
    History(String origin, HistoryLimits limits) {
        this.origin = origin;
        this.limits = limits;
    }

    HistoryLimits limits() {
        return limits;
    }

    /** {@code stream}'s log, made (with what its tombstone remembers) when it has none. */
    StreamLog log(String stream) {
        StreamLog log = logs.get(stream);
        if (log == null) {
            Map<String, Long> tombstone = removeTombstone(stream);
            log = new StreamLog(stream, tombstone == null ? Map.of() : tombstone, forgotten);
            logs.put(stream, log);
            liveStreams = logs.size();
        }
        return log;
    }

    /** {@code stream}'s log, or null while it has none. */
    StreamLog existingLog(String stream) {
        return logs.get(stream);
    }

    Collection<StreamLog> logs() {
        return logs.values();
    }

    /**
     * Keeps {@code event} in its stream's history, evicting that stream's oldest beyond its
     * count; returns whether it was kept (not when resume is disabled). Callers then
     * {@link #enforceLimits} once per batch.
     */
    boolean retain(StreamLog log, Event event) {
        if (limits.maxEventsPerStream() == 0) {
            log.recordEvicted(event);
            return false;
        }
        if (log.history.isEmpty()) {
            log.chargedBytes = HeapCost.stream(log.name) + HeapCost.ORIGIN_ENTRY * log.evictedUpTo.size();
            streamBytes += log.chargedBytes;
            retainedStreams++;
        }
        event.retained = true;
        log.history.addLast(event);
        retained.addLast(event);
        retainedBytes += event.retainedBytes();
        retainedEvents++;
        if (event.origin() != origin) {
            retainedByOrigin.computeIfAbsent(event.origin(), o -> new Count()).value++;
        }
        while (log.history.size() > limits.maxEventsPerStream()) {
            Event dropped = log.history.pollFirst();
            markEvicted(log, dropped);
            staleInRetained++;
        }
        compactRetainedIfMostlyStale();
        return true;
    }

    /** Retained events of {@code o}, which is not this relay's origin. */
    int retainedOf(String o) {
        Count count = retainedByOrigin.get(o);
        return count == null ? 0 : count.value;
    }

    /**
     * What a reader at {@code after} missed on {@code subscribed}: the streams where events it
     * has not seen are gone (all of them when {@code lostAll}), and the retained events it has
     * not seen, in acceptance order.
     */
    Missed missedAfter(List<StreamLog> subscribed, Position after, boolean lostAll) {
        List<String> lost = new ArrayList<>();
        List<Event> replay = new ArrayList<>();
        for (StreamLog log : subscribed) {
            if (lostAll || log.hasGapAfter(after)) {
                lost.add(log.name);
            }
            log.collectAfter(after, replay);
        }
        if (subscribed.size() > 1) {
            replay.sort(Comparator.comparingLong(Event::index));
        }
        return new Missed(Collections.unmodifiableList(lost), Collections.unmodifiableList(replay));
    }

    /** @see #missedAfter */
    record Missed(List<String> lostStreams, List<Event> replay) {
    }

    /** {@code o}'s retained events after {@code after}, in sequence order: what a follower of it missed. */
    List<Event> retainedAfter(String o, long after) {
        List<Event> replay = new ArrayList<>();
        for (Event event : retained) {
            if (!event.evicted && event.origin().equals(o) && event.seq() > after) {
                replay.add(event);
            }
        }
        return replay;
    }

    /**
     * Per stream, the highest of {@code o}'s sequence numbers that is gone, where that is after
     * {@code after}; streams whose record was folded away are in {@link #forgottenUpTo}.
     */
    Map<String, Long> lostAfter(String o, long after) {
        Map<String, Long> lost = new HashMap<>();
        for (StreamLog log : logs.values()) {
            Long upTo = log.evictedUpTo.get(o);
            if (upTo != null && upTo > after) {
                lost.put(log.name, upTo);
            }
        }
        tombstones.forEach((stream, watermarks) -> {
            Long upTo = watermarks.get(o);
            if (upTo != null && upTo > after) {
                lost.put(stream, upTo);
            }
        });
        return lost;
    }

    /** The highest of {@code o}'s sequence numbers that any stream made from now on may have lost. */
    long forgottenUpTo(String o) {
        return forgotten.getOrDefault(o, 0L);
    }

    /**
     * Records that {@code log}'s events of {@code o} up to {@code upTo} are gone (a peer evicted
     * them before this relay had them); returns whether that is news, so that the stream's
     * subscribers are to be told.
     */
    boolean recordLost(StreamLog log, String o, long upTo) {
        if (log.lostUpTo(o) >= upTo) {
            return false;
        }
        log.evictedUpTo.put(o, upTo);
        return true;
    }

    /** As {@link #recordLost(StreamLog, String, long)} for a stream that has no log now. */
    void recordLostWhileIdle(String stream, String o, long upTo) {
        tombstone(stream, Map.of(o, upTo));
    }

    /** {@code o}'s events up to {@code upTo} may be gone from any stream made from now on. */
    void forgetEverywhere(String o, long upTo) {
        forget(Map.of(o, upTo));
    }

    /**
     * {@code o}'s events up to {@code upTo} are gone from every stream, those with a log now
     * included: this relay never had them and never will.
     */
    void lostEverywhere(String o, long upTo) {
        forget(Map.of(o, upTo));
        // Every log's record of what was forgotten before it was made gains the same entry;
        // logs made together share one map, so this costs a map per distinct record, not per log.
        Map<Map<String, Long>, Map<String, Long>> raised = new IdentityHashMap<>();
        for (StreamLog log : logs.values()) {
            if (log.lostUpTo(o) < upTo) {
                log.forgottenBefore = raised.computeIfAbsent(log.forgottenBefore, before -> {
                    Map<String, Long> with = new HashMap<>(before);
                    with.put(o, upTo);
                    return Map.copyOf(with);
                });
            }
        }
    }

    /** Drops events older than the history's maximum age. */
    void evictExpired(long nowNanos) {
        long maxAgeNanos = limits.maxAge().toNanos();
        Event oldest;
        while ((oldest = retained.peekFirst()) != null
                && (oldest.evicted || nowNanos - oldest.acceptedNanos() > maxAgeNanos)) {
            evictOldest();
        }
    }

    /** Drops every retained event of {@code o} now, recording it as evicted. */
    void evictOrigin(String o) {
        for (StreamLog log : List.copyOf(logs.values())) {
            boolean held = !log.history.isEmpty();
            log.history.removeIf(event -> {
                if (event.origin().equals(o)) {
                    markEvicted(log, event);
                    staleInRetained++;
                    return true;
                }
                return false;
            });
            if (held && log.history.isEmpty()) {
                streamBytes -= log.chargedBytes;
                log.chargedBytes = 0;
                retainedStreams--;
            }
            dropIfIdle(log);
        }
    }

    /**
     * Removes {@code o} from every record of losses: it is retired, and what old ids need of it
     * is kept with its retirement.
     */
    void purge(String o) {
        Map<Map<String, Long>, Map<String, Long>> replaced = new IdentityHashMap<>();
        if (forgotten.containsKey(o)) {
            Map<String, Long> without = without(forgotten, o);
            replaced.put(forgotten, without);
            forgotten = without;
        }
        for (StreamLog log : logs.values()) {
            log.evictedUpTo.remove(o);
            if (log.forgottenBefore.containsKey(o)) {
                log.forgottenBefore = replaced.computeIfAbsent(log.forgottenBefore, m -> without(m, o));
            }
        }
        for (var it = tombstones.entrySet().iterator(); it.hasNext();) {
            Map.Entry<String, Map<String, Long>> tombstone = it.next();
            if (tombstone.getValue().remove(o) != null) {
                tombstoneBytes -= HeapCost.ORIGIN_ENTRY;
                if (tombstone.getValue().isEmpty()) {
                    it.remove();
                    tombstoneBytes -= HeapCost.tombstone(tombstone.getKey(), 0);
                }
            }
        }
        tombstoneCount = tombstones.size();
    }

    private static Map<String, Long> without(Map<String, Long> watermarks, String o) {
        Map<String, Long> copy = new HashMap<>(watermarks);
        copy.remove(o);
        return Map.copyOf(copy);
    }

    /** Drops {@code log} when it holds no events and has no subscribers, leaving a tombstone of its losses. */
    void dropIfIdle(StreamLog log) {
        if (log.isIdle()) {
            logs.remove(log.name);
            liveStreams = logs.size();
            if (!log.evictedUpTo.isEmpty()) {
                tombstone(log.name, log.evictedUpTo);
            }
        }
    }

    /**
     * Brings the history within its limits, oldest first; {@code otherBytes} is heap outside
     * the history that its budget counts too. Over the heap budget, tombstones go before events:
     * folding one only makes later resumes more cautious (a reset where one might not have been
     * needed), while evicting an event loses it.
     */
    void enforceLimits(long otherBytes) {
        while (!retained.isEmpty() && retainedStreams > limits.maxStreams()) {
            evictOldest();
        }
        while (bytes() + otherBytes > limits.maxBytes()) {
            if (!tombstones.isEmpty()) {
                foldEldestTombstone();
            } else if (!retained.isEmpty()) {
                evictOldest();
            } else {
                break;
            }
        }
        while (tombstones.size() > limits.maxTombstones()) {
            foldEldestTombstone();
        }
    }

    private Map<String, Long> removeTombstone(String stream) {
        Map<String, Long> tombstone = tombstones.remove(stream);
        if (tombstone != null) {
            tombstoneBytes -= HeapCost.tombstone(stream, tombstone.size());
            tombstoneCount = tombstones.size();
        }
        return tombstone;
    }

    /** Raises what is forgotten about every stream made from now on. */
    private void forget(Map<String, Long> watermarks) {
        Map<String, Long> raised = new HashMap<>(forgotten);
        watermarks.forEach((o, seq) -> raised.merge(o, seq, Math::max));
        forgotten = Map.copyOf(raised);
    }

    /**
     * Remembers what {@code stream} lost beyond what is forgotten about every stream; callers
     * then enforce the limits, which may fold the oldest tombstones away.
     */
    private void tombstone(String stream, Map<String, Long> evicted) {
        Map<String, Long> existing = removeTombstone(stream);
        Map<String, Long> merged = existing == null ? new HashMap<>() : existing;
        evicted.forEach((o, seq) -> {
            if (seq > forgotten.getOrDefault(o, 0L)) {
                merged.merge(o, seq, Math::max);
            }
        });
        if (merged.isEmpty()) {
            return;
        }
        tombstones.put(stream, merged);
        tombstoneBytes += HeapCost.tombstone(stream, merged.size());
        tombstoneCount = tombstones.size();
    }

    /** The oldest tombstone's watermarks now hold for every stream made from now on. */
    private void foldEldestTombstone() {
        String eldest = tombstones.keySet().iterator().next();
        forget(removeTombstone(eldest));
    }

    /** Removes the head of the acceptance-ordered queue, which is also the head of its stream. */
    private void evictOldest() {
        Event oldest = retained.pollFirst();
        if (oldest.evicted) {
            staleInRetained--;
            return;
        }
        StreamLog log = logs.get(oldest.stream());
        Event streamHead = log.history.pollFirst();
        assert streamHead == oldest : "stream history out of acceptance order";
        markEvicted(log, oldest);
        if (log.history.isEmpty()) {
            streamBytes -= log.chargedBytes;
            log.chargedBytes = 0;
            retainedStreams--;
        }
        dropIfIdle(log);
    }

    private void markEvicted(StreamLog log, Event event) {
        event.evictedAtNanos = System.nanoTime();
        event.evicted = true;
        if (event.origin() != origin) {
            Count count = retainedByOrigin.get(event.origin());
            if (count != null && --count.value == 0) {
                retainedByOrigin.remove(event.origin());
            }
        }
        log.recordEvicted(event);
        retainedBytes -= event.retainedBytes();
        retainedEvents--;
    }

    /**
     * A stream that is busy but short of history leaves its evicted events in the shared queue
     * until they reach its front; rebuild the queue when they are the majority so that memory
     * tracks what is actually retained.
     */
    private void compactRetainedIfMostlyStale() {
        if (staleInRetained > 1024 && staleInRetained * 2 > retained.size()) {
            retained.removeIf(e -> e.evicted);
            staleInRetained = 0;
        }
    }

    /** Heap the budget counts here: retained events, the logs of the streams that hold them, and tombstones. */
    long bytes() {
        return retainedBytes + streamBytes + tombstoneBytes;
    }

    long retainedEvents() {
        return retainedEvents;
    }

    long retainedBytes() {
        return retainedBytes;
    }

    long retainedStreams() {
        return retainedStreams;
    }

    int liveStreams() {
        return liveStreams;
    }

    int tombstones() {
        return tombstoneCount;
    }

    long tombstoneBytes() {
        return tombstoneBytes;
    }

    private static final class Count {
        int value;
    }
}
