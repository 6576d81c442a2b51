package io.sserelay.relay.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * One relay's copy of one stream: its entries in order, how many of them are known to be
 * committed, and the epoch in which the stream is numbered now. The owner's copy is the
 * stream; a replica's and a subscriber cache's follow it. Retention keeps the newest
 * {@code maxEntries}; {@link #trimmedThrough()} names the last entry dropped, so that a reader
 * who saw exactly that entry still resumes exactly. The {@code Idempotency-Key}s of its publishes
 * are kept with their events, and go when the last of them does. Not thread-safe: its node's
 * thread owns it.
 */
public final class StreamLog<P> {

    private final int maxEntries;
    private final ArrayList<Entry<P>> entries = new ArrayList<>();
    private int committed;
    private long epoch;
    private EventId trimmedThrough;
    private final Map<String, KeyRecord> keys = new LinkedHashMap<>();
    /** What {@link #weight} weighs entries by (null until asked), and the entries' weight, kept as they come and go. */
    private ToLongFunction<Entry<P>> weigher;
    private long weight;

    public StreamLog(int maxEntries, long epoch) {
        this.maxEntries = maxEntries;
        this.epoch = epoch;
    }

    /** A copy of committed entries as an owner sent them. */
    public static <P> StreamLog<P> committed(int maxEntries, long epoch, EventId trimmedThrough,
            List<Entry<P>> entries) {
        StreamLog<P> log = new StreamLog<>(maxEntries, epoch);
        log.trimmedThrough = trimmedThrough;
        for (Entry<P> entry : entries) {
            log.appendCommitted(entry);
        }
        return log;
    }

    /** The key record of an {@code Idempotency-Key} this copy holds, or null. */
    public KeyRecord key(String key) {
        return keys.get(key);
    }

    public Collection<KeyRecord> keys() {
        return keys.values();
    }

    /** Keeps {@code record} with its events, which this copy holds. */
    public void putKey(KeyRecord record) {
        if (indexOf(record.last()) < 0) {
            throw new IllegalArgumentException("a key for events this copy does not hold: " + record.last());
        }
        keys.put(record.key(), record);
    }

    public boolean isCommitted(EventId id) {
        int index = indexOf(id);
        return index == -1 || index >= 0 && index < committed;
    }

    public StreamLog<P> copy() {
        StreamLog<P> copy = new StreamLog<>(maxEntries, epoch);
        copy.entries.addAll(entries);
        copy.committed = committed;
        copy.trimmedThrough = trimmedThrough;
        copy.keys.putAll(keys);
        copy.weigher = weigher;
        copy.weight = weight;
        return copy;
    }

    /**
     * The entries' weight by {@code by}, which should be the same function every time: the first
     * call with a function weighs every entry, and from then on the log keeps the sum as entries
     * come and go, so that asking costs nothing however many entries it holds.
     */
    public long weight(ToLongFunction<Entry<P>> by) {
        if (weigher != by) {
            weigher = by;
            weight = 0;
            for (Entry<P> entry : entries) {
                weight += by.applyAsLong(entry);
            }
        }
        return weight;
    }

    /** Drops {@code gone}, a range of the entries, keeping the weight. */
    private void drop(List<Entry<P>> gone) {
        if (weigher != null) {
            for (Entry<P> entry : gone) {
                weight -= weigher.applyAsLong(entry);
            }
        }
        gone.clear();
    }

    /** A copy in which every entry counts as committed: what a relay hands over or syncs. */
    public StreamLog<P> copyAllCommitted() {
        StreamLog<P> copy = copy();
        copy.committed = copy.entries.size();
        return copy;
    }

    public long epoch() {
        return epoch;
    }

    public void startEpoch(long newEpoch) {
        epoch = newEpoch;
    }

    public EventId trimmedThrough() {
        return trimmedThrough;
    }

    public List<Entry<P>> entries() {
        return entries;
    }

    public int size() {
        return entries.size();
    }

    public int committedCount() {
        return committed;
    }

    public boolean isEmpty() {
        return entries.isEmpty() && trimmedThrough == null;
    }

    /** The last entry's id, or the last trimmed one's, or null for a stream with no events. */
    public EventId last() {
        return entries.isEmpty() ? trimmedThrough : entries.get(entries.size() - 1).id();
    }

    public EventId lastCommitted() {
        return committed == 0 ? trimmedThrough : entries.get(committed - 1).id();
    }

    public List<Entry<P>> pending() {
        return entries.subList(committed, entries.size());
    }

    /** The index of the entry with this id, -1 when it is the trimmed-through one, or -2 when unknown. */
    public int indexOf(EventId id) {
        if (id.equals(trimmedThrough)) {
            return -1;
        }
        int low = 0;
        int high = entries.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int order = entries.get(mid).id().compareTo(id);
            if (order < 0) {
                low = mid + 1;
            } else if (order > 0) {
                high = mid - 1;
            } else {
                return mid;
            }
        }
        return -2;
    }

    public void append(Entry<P> entry) {
        EventId last = last();
        if (last != null && entry.id().compareTo(last) <= 0) {
            throw new IllegalArgumentException("entry " + entry.id() + " does not follow " + last);
        }
        entries.add(entry);
        if (weigher != null) {
            weight += weigher.applyAsLong(entry);
        }
    }

    public void appendCommitted(Entry<P> entry) {
        if (committed != entries.size()) {
            throw new IllegalStateException("pending entries precede a committed one");
        }
        append(entry);
        committed++;
        trim();
    }

    /** The id of the committed entry before {@code id} (or the trimmed-through one; null at the start). */
    public EventId committedBefore(EventId id) {
        int index = indexOf(id);
        return index > 0 ? entries.get(index - 1).id() : trimmedThrough;
    }

    /** Drops every entry after {@code id} (null: after the start); they were never committed. */
    public void truncateAfter(EventId id) {
        int keep = id == null ? 0 : indexOf(id) + 1;
        if (keep < committed) {
            throw new IllegalStateException("truncating committed entries after " + id);
        }
        if (keep < entries.size()) {
            drop(entries.subList(keep, entries.size()));
            EventId last = last();
            keys.values().removeIf(record -> last == null || record.last().compareTo(last) > 0);
        }
    }

    /** Marks every entry up to {@code id} committed; returns the newly committed ones. */
    public List<Entry<P>> commitThrough(EventId id) {
        int index = indexOf(id);
        if (index < committed - 1 || index == -2) {
            return List.of();
        }
        List<Entry<P>> newly = new ArrayList<>(entries.subList(committed, index + 1));
        committed = index + 1;
        trim();
        return newly;
    }

    /**
     * The committed entries after {@code after} (null: all retained ones), or null when this
     * copy does not hold {@code after}: the reader missed something and gets a reset.
     */
    public List<Entry<P>> committedAfter(EventId after) {
        if (after == null) {
            return List.copyOf(entries.subList(0, committed));
        }
        int index = indexOf(after);
        if (index == -2 || index >= committed) {
            return null;
        }
        return List.copyOf(entries.subList(index + 1, committed));
    }

    /**
     * Where a reader whose copies diverged from this one picks up after its reset: after the
     * last entry of its epoch at or before its offset, where the two lines parted. When this copy
     * holds nothing of that epoch, it gets the entries it cannot have seen: those of epochs from
     * newer views than its own (a line's epochs only grow), and those beyond its offset, since a
     * line that continues no copy starts at the wall clock ({@link EventId#lineStart}), beyond
     * the lines before it. So it gets nothing twice.
     */
    public List<Entry<P>> committedAfterDivergence(EventId lost) {
        for (int i = committed - 1; i >= 0; i--) {
            EventId id = entries.get(i).id();
            if (id.epoch() == lost.epoch() && id.offset() <= lost.offset()) {
                return List.copyOf(entries.subList(i + 1, committed));
            }
        }
        // Along one line offsets and generations both grow, so what qualifies is a suffix.
        int from = 0;
        while (from < committed && entries.get(from).id().atOrBefore(lost)) {
            from++;
        }
        return List.copyOf(entries.subList(from, committed));
    }

    /**
     * Drops committed entries from the oldest while {@code expired} says so: the relay's
     * retention by age or by its heap budget, beside the count this copy keeps by itself.
     * Returns how many went.
     */
    public int trimWhile(Predicate<Entry<P>> expired) {
        int count = 0;
        while (count < committed && expired.test(entries.get(count))) {
            count++;
        }
        if (count > 0) {
            trimmedThrough = entries.get(count - 1).id();
            drop(entries.subList(0, count));
            committed -= count;
            keys.values().removeIf(record -> record.last().compareTo(trimmedThrough) <= 0);
        }
        return count;
    }

    private void trim() {
        int excess = Math.min(committed, entries.size() - maxEntries);
        if (excess > 0) {
            trimmedThrough = entries.get(excess - 1).id();
            drop(entries.subList(0, excess));
            committed -= excess;
            keys.values().removeIf(record -> record.last().compareTo(trimmedThrough) <= 0);
        }
    }
}
