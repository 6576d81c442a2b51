package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.ClusterNode.Subscriber;
import io.sserelay.relay.cluster.Message.Deliver;
import io.sserelay.relay.cluster.Message.Entries;
import java.util.ArrayList;
import java.util.List;

/**
 * One relay's committed copy of one stream for its local subscribers, and their places in it
 * (docs/stream-ownership.md, "Subscribers"). The owner feeds it whole publishes in order; a gap,
 * or a subscriber whose place it does not hold, makes it ask the owner, and the answers decide
 * between waiting, an exact resume and a reset. Runs on its node's thread.
 */
final class StreamCache<P> {

    /** How the cache reaches the stream's owner, and what it needs to know of its relay. */
    interface Node {
        /** Asks the owner for what follows {@code after} (null: all it retains); returns the question's number, or 0 when there is no owner to ask. */
        long ask(String stream, EventId after);

        /** The number the next question will have. */
        long nextAsk();

        long viewGeneration();

        long now();

        /** How long a subscriber with an id from a newer view than the relay's waits for it. */
        long newerViewWait();
    }

    private final String stream;
    private final int maxEntries;
    private final Node node;
    private StreamLog<P> log;
    private final List<Reader<P>> readers = new ArrayList<>();
    private boolean loaded;
    private long askedAt = Long.MIN_VALUE / 2;
    /** Its first question's number and that of the last answer it applied. */
    private long firstAsk;
    private long appliedAsk;
    /** Committed publishes were appended that its readers have not been handed yet ({@link #resolveDelivered}). */
    private boolean unresolved;

    StreamCache(String stream, int maxEntries, Node node) {
        this.stream = stream;
        this.maxEntries = maxEntries;
        this.node = node;
        this.log = new StreamLog<>(maxEntries, 1);
    }

    StreamLog<P> log() {
        return log;
    }

    /**
     * A reader after {@code after} (null: from the start), or from wherever the stream is when the
     * cache is loaded. Only the new reader is resolved, and the owner is asked only when the cache
     * has never asked or the reader's place needs it: in a reconnect storm thousands of readers
     * join one stream within a second, and each must cost its own catch-up, not a pass over all
     * the others and a question to the owner.
     */
    void add(Subscriber<P> subscriber, EventId after, boolean fromNow) {
        Reader<P> reader = new Reader<>(subscriber, after, fromNow);
        readers.add(reader);
        if (loaded) {
            resolve(List.of(reader), -1);
        } else if (firstAsk == 0) {
            askOwner(); // the cache's first question; later readers wait for its answer
        }
    }

    /** Removes a subscriber; true when none is left. */
    boolean remove(Subscriber<P> subscriber) {
        readers.removeIf(reader -> reader.subscriber == subscriber);
        return readers.isEmpty();
    }

    /** Asks the owner again for what follows: to renew its interest, or after a view change. */
    void askOwner() {
        long ask = node.ask(stream, loaded ? log.last() : null);
        if (ask != 0) {
            askedAt = node.now();
            if (firstAsk == 0) {
                firstAsk = ask;
            }
        }
    }

    long askedAt() {
        return askedAt;
    }

    boolean hasWaitingReaders() {
        for (Reader<P> reader : readers) { // asked of every cache every tick: no stream pipeline
            if (reader.waitingForAsk >= 0) {
                return true;
            }
        }
        return false;
    }

    /** An answer from the owner. */
    void answered(Entries<P> entries) {
        if (entries.ask() <= appliedAsk || entries.ask() < firstAsk) {
            return; // overtaken by the answer to a later question, or an answer to an earlier cache
        }
        resolveDelivered(); // what was delivered goes out before the answer may replace the copy
        if (entries.replace()) {
            log = StreamLog.committed(maxEntries, entries.epoch(), entries.trimmedThrough(), entries.entries());
        } else {
            EventId last = log.last();
            if (!loaded || (last == null ? entries.after() != null : !last.equals(entries.after()))) {
                return; // an answer to an earlier question; a later one is on its way
            }
            for (Entry<P> entry : entries.entries()) {
                log.appendCommitted(entry);
            }
            log.startEpoch(entries.epoch());
        }
        for (KeyRecord key : entries.keys()) {
            if (log.indexOf(key.last()) >= 0) {
                log.putKey(key); // so that the stream's keys outlive its owner and replica
            }
        }
        loaded = true;
        appliedAsk = entries.ask();
        resolve(entries.ask());
    }

    /**
     * A publish the owner committed, appended to the copy; its readers get it at the next
     * {@link #resolveDelivered()}, so that a burst of publishes costs each reader one hand-off.
     * Returns true when the copy had nothing unresolved before: the caller must then see that
     * {@link #resolveDelivered()} runs.
     */
    boolean delivered(Deliver<P> deliver) {
        if (!loaded) {
            return false;
        }
        EventId last = log.last();
        if (last == null ? deliver.prev() != null : !last.equals(deliver.prev())) {
            if (log.indexOf(deliver.entries().get(0).id()) == -2) {
                askOwner();
            }
            return false;
        }
        if (log.size() + deliver.entries().size() > maxEntries) {
            resolveDelivered(); // the copy keeps maxEntries: readers get what it is about to drop first
        }
        for (Entry<P> entry : deliver.entries()) {
            log.appendCommitted(entry);
        }
        log.startEpoch(deliver.epoch());
        if (deliver.key() != null) {
            log.putKey(deliver.key());
        }
        boolean first = !unresolved;
        unresolved = true;
        return first;
    }

    /** Hands the readers what was delivered since the last call; before anything but an append changes the copy. */
    void resolveDelivered() {
        if (unresolved) {
            unresolved = false;
            resolve(-1);
        }
    }

    /**
     * Hands each reader what follows its place in the cache. A reader whose place the cache does
     * not hold waits while the cache may be behind (its place is in the current epoch or a newer
     * one); once the owner has answered a question asked after the reader began waiting and still
     * does not hold it, or when its place is in an epoch the stream has left without it, the
     * events after it are lost: the reader gets a reset and goes on after the last entry the two
     * lines share.
     */
    void resolve(long answeredAsk) {
        if (!loaded) {
            return;
        }
        unresolved = false;
        resolve(readers, answeredAsk);
    }

    private void resolve(List<Reader<P>> which, long answeredAsk) {
        long now = node.now();
        shared = null;
        for (Reader<P> reader : which) {
            resolve(reader, answeredAsk, now);
        }
        shared = null; // the copy may change before the next pass
    }

    /**
     * During a pass over the readers, the last place looked up and what follows it: readers that
     * keep up share their place (the same id), and with it the list they are handed, so that a
     * pass over thousands of them looks the place up once and subscribers can share what they
     * make of the list.
     */
    private Next<P> shared;

    private record Next<P>(EventId after, List<Entry<P>> entries) {
    }

    private List<Entry<P>> committedAfter(EventId cursor) {
        Next<P> last = shared;
        if (last != null && last.after() == cursor) {
            return last.entries();
        }
        List<Entry<P>> next = log.committedAfter(cursor);
        shared = next == null ? null : new Next<>(cursor, next);
        return next;
    }

    private void resolve(Reader<P> reader, long answeredAsk, long now) {
        if (reader.fromNow) {
            reader.fromNow = false;
            reader.catchingUp = false;
            reader.cursor = log.lastCommitted();
            reader.subscriber.onPosition(stream, reader.cursor);
            return;
        }
        if (reader.cursor == null && log.trimmedThrough() != null) {
            // From the start, but retention has dropped the stream's first events: a reset, unless
            // the reader is past them already (it had the line's events up to its floor).
            EventId trimmed = log.trimmedThrough();
            if (reader.floor == null || !trimmed.atOrBefore(reader.floor)) {
                reader.floor = null; // everything after the trimmed point is new to it
                reader.subscriber.onReset(stream, trimmed);
            }
            reader.cursor = trimmed;
        }
        List<Entry<P>> next = committedAfter(reader.cursor);
        if (next == null) {
            boolean newerView = EventId.generationOf(reader.cursor.epoch()) > node.viewGeneration()
                    && now - reader.waitingSince < node.newerViewWait(); // a newer view, or a forged id
            if (mayBeBehind(log, reader.cursor)
                    && (reader.waitingForAsk < 0 || answeredAsk < reader.waitingForAsk || newerView)) {
                if (reader.waitingForAsk < 0) {
                    reader.waitingForAsk = node.nextAsk();
                    reader.catchingUp = true;
                    reader.waitingSince = now;
                    askOwner();
                }
                return;
            }
            // The reader goes on after the point where its line and this copy's parted. When the
            // copy holds nothing, or stops short of the reader's place along its line, a copy seen
            // later (another owner's, or another relay's after a reconnect) may hold the events it
            // had beyond that point, which it must not get again: it keeps its own place as its
            // id, and this copy's events up to it are passed over. Otherwise it is told the point
            // it goes on from, so that a reconnect from there is not reset again. Never kept: an
            // id from a view newer than the relay's (waited for in vain, or forged), with which a
            // reconnect would wait again, and an id in the copy's own epoch, which its owner has
            // just answered for.
            EventId had = reader.had();
            next = log.committedAfterDivergence(had);
            EventId before = next.isEmpty() ? log.lastCommitted() : log.committedBefore(next.get(0).id());
            boolean mayComeBack = before == null ? next.isEmpty() : before.atOrBefore(had) && !before.equals(had);
            boolean keep = mayComeBack && EventId.generationOf(had.epoch()) <= node.viewGeneration()
                    && had.epoch() != log.epoch(); // in the copy's own epoch its owner's answer is final
            reader.subscriber.onReset(stream, keep ? had : before);
            reader.cursor = before;
            reader.floor = keep ? had : null;
            reader.catchingUp = true;
        }
        reader.waitingForAsk = -1;
        next = reader.beyondFloor(next);
        if (next.isEmpty()) {
            reader.catchingUp = false;
            return;
        }
        reader.cursor = next.get(next.size() - 1).id();
        if (reader.catchingUp) {
            reader.catchingUp = false;
            reader.subscriber.onCatchUp(stream, next);
        } else {
            reader.subscriber.onEvents(stream, next);
        }
    }

    /** Whether {@code cursor} may name an event this copy has not received yet (rather than one it lost). */
    private static boolean mayBeBehind(StreamLog<?> log, EventId cursor) {
        long cursorGeneration = EventId.generationOf(cursor.epoch());
        long logGeneration = EventId.generationOf(log.epoch());
        if (cursorGeneration != logGeneration) {
            return cursorGeneration > logGeneration;
        }
        if (cursor.epoch() != log.epoch()) {
            return true; // an epoch of a relay that restarted within this generation: only its owner can say
        }
        EventId last = log.last();
        return last == null || cursor.offset() > last.offset();
    }

    private static final class Reader<P> {
        final Subscriber<P> subscriber;
        /** The last event it got, or where it asked to start; null: before the first retained one. */
        EventId cursor;
        /** While its cursor is not in the cache: the question whose answer decides; -1 otherwise. */
        long waitingForAsk = -1;
        long waitingSince;
        /** Until the cache is loaded: it starts wherever the stream is then. */
        boolean fromNow;
        /** Whether what it gets next is what it missed (a catch-up) rather than live events. */
        boolean catchingUp = true;
        /**
         * After a reset, the last event it had (or was told to resume from), while its cursor is
         * the earlier place where its line and the copy's parted: events of the line up to it are
         * not handed again. Null otherwise.
         */
        EventId floor;

        /** The last event it had, or where it was told to resume from. */
        EventId had() {
            return floor != null ? floor : cursor;
        }

        /** {@code next} without the events it had before a reset; the floor goes once it is passed. */
        List<Entry<P>> beyondFloor(List<Entry<P>> next) {
            if (floor == null) {
                return next;
            }
            int skip = 0;
            while (skip < next.size() && next.get(skip).id().atOrBefore(floor)) {
                skip++;
            }
            if (skip < next.size()) {
                floor = null;
            } else if (!next.isEmpty()) {
                cursor = next.get(next.size() - 1).id(); // passed over, not handed
            }
            return skip == 0 ? next : next.subList(skip, next.size());
        }

        Reader(Subscriber<P> subscriber, EventId cursor, boolean fromNow) {
            this.subscriber = subscriber;
            this.cursor = cursor;
            this.fromNow = fromNow;
        }
    }
}
