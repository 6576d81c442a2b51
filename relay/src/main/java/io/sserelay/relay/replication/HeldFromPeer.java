package io.sserelay.relay.replication;

import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.RemoteEvent;
import io.sserelay.relay.stream.StreamHub;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A follower's side of one peer's replicated publishes: the peer's pending events, held (not
 * delivered, not in the history, not in this relay's position) until the peer commits or aborts
 * them, and what becomes of them when the link to the peer breaks:
 *
 * <ul>
 *   <li>the peer says HELLO again with the same origin: it is alive and decided meanwhile. The
 *       held events become <em>stale</em> and wait for the peer's catch-up, which ends with
 *       CAUGHT_UP: a stale event the catch-up replays (the peer committed it) is committed here,
 *       one it sends as PENDING again (the peer still holds it) is held again, and one it sends
 *       neither way was aborted and is dropped at CAUGHT_UP. A committed event the peer no longer
 *       retains comes as a GAP instead, which tells the subscribers what they missed;</li>
 *   <li>the peer says HELLO with another origin (it restarted), or cannot be reached after it
 *       left the peer set: its origin is gone and can decide nothing more. The held events are
 *       committed, because this relay acknowledged them, so the origin may have answered 202 for
 *       any of them, and every relay that held them must then deliver them alike.</li>
 * </ul>
 *
 * <p>A held publish with an Idempotency-Key claims the key here too until it is decided, so a
 * retry sent to this relay meanwhile is told the key is in use instead of publishing it twice.
 *
 * <p>Memory: the held events are bounded by what the origin may hold, in the origin's own
 * measure. The origin reserves twice a publish body's bytes from its publish budget until the
 * publish is answered, and a body holds at least its events' data. So with the same budget here,
 * an origin that keeps its bound never reaches {@code maxBytes} of data; a peer that does breaks
 * the protocol, and its link fails. Their number is bounded too, by {@code maxBytes} /
 * {@value #MIN_EVENT_BODY} (the least JSON a batch spends on an event) and at least
 * {@value #MIN_MAX_EVENTS}, for the single-event publishes in flight, whose bodies may be empty.
 * Keys are at most one per held event.
 *
 * <p>Threads: the peer link's thread only.
 */
public final class HeldFromPeer {

    /** The smallest JSON a publish body spends on one event: {@code {"stream":"a","data":""}}. */
    static final int MIN_EVENT_BODY = 24;
    /** The fewest events a follower may hold of one peer, whatever its budget. */
    static final int MIN_MAX_EVENTS = 100_000;

    private final StreamHub hub;
    private final IdempotencyKeys keys;
    private final long maxBytes;
    private final long maxEvents;
    private final int maxEventBytes;
    private final Runnable skippedTooLarge;
    private String origin;
    /** By sequence number. */
    private final NavigableMap<Long, Held> events = new TreeMap<>();
    /** By the sequence number of their publishes' last events. */
    private final NavigableMap<Long, Tagged> tags = new TreeMap<>();
    private long bytes;
    /** Since a HELLO of the same origin found events held, until its CAUGHT_UP. */
    private boolean syncing;
    /** While syncing: the events up to here are confirmed (a prefix), and the highest held again. */
    private long confirmedThrough;
    private long highestHeldAgain;

    /**
     * @param maxEventBytes   this relay's own limit: a larger event (its peer is configured with a
     *                        higher one) is held and acknowledged like any, but skipped with a reset
     *                        when it commits, as an EVENT frame would be
     * @param skippedTooLarge called for each event skipped so
     */
    public HeldFromPeer(StreamHub hub, IdempotencyKeys keys, long maxBytes, int maxEventBytes,
            Runnable skippedTooLarge) {
        this.hub = hub;
        this.keys = keys;
        this.maxBytes = maxBytes;
        this.maxEvents = Math.max(MIN_MAX_EVENTS, maxBytes / MIN_EVENT_BODY);
        this.maxEventBytes = maxEventBytes;
        this.skippedTooLarge = skippedTooLarge;
    }

    /**
     * A HELLO from the peer: see the class comment.
     *
     * @param twoPhase whether the peer's stream holds pending events; a stream that does not
     *                 cannot resolve stale ones, so they are dropped as the peer stopped sending them
     */
    public void hello(String peerOrigin, boolean twoPhase, long nowNanos) {
        if (origin != null && !origin.equals(peerOrigin)) {
            originGone(nowNanos);
        } else if (twoPhase && !events.isEmpty()) {
            events.values().forEach(event -> event.state = State.STALE);
            syncing = true;
            confirmedThrough = 0;
            highestHeldAgain = 0;
        } else {
            clear();
        }
        origin = peerOrigin;
    }

    /** Whether stale events wait for the peer's catch-up to say what became of them. */
    public boolean syncing() {
        return syncing;
    }

    /**
     * Holds a pending event; the peer sends them in sequence order. While syncing, an event held
     * before is held again instead.
     *
     * @throws IllegalStateException when the peer breaks the protocol (order, or more than the bound)
     */
    public void hold(RemoteEvent event) {
        Held known = syncing ? events.get(event.seq()) : null;
        if (known != null && known.state == State.STALE) {
            known.state = State.HELD;
            highestHeldAgain = Math.max(highestHeldAgain, event.seq());
            return;
        }
        if (!events.isEmpty() && event.seq() <= events.lastKey()) {
            throw new IllegalStateException("pending event " + event.seq() + " after " + events.lastKey());
        }
        long cost = cost(event);
        if (bytes + cost > maxBytes) {
            throw new IllegalStateException("pending events would hold more than " + maxBytes + " bytes");
        }
        if (events.size() >= maxEvents) {
            throw new IllegalStateException("pending events would be more than " + maxEvents);
        }
        events.put(event.seq(), new Held(event));
        bytes += cost;
        if (syncing) {
            highestHeldAgain = event.seq();
        }
    }

    /**
     * The idempotency key of the held events {@code lastSeq - count + 1 .. lastSeq}, which the
     * peer sends right after their PENDING frames (again after a reconnect: then it is known).
     *
     * @throws IllegalStateException when those events are not the last held
     */
    public void tag(long lastSeq, int count, IdempotencyTag tag, long nowNanos) {
        if (tags.containsKey(lastSeq)) {
            return; // sent again after a reconnect
        }
        long highest = highest();
        if (lastSeq != highest || count < 1 || count > events.size()
                || (!tags.isEmpty() && tags.lastKey() > lastSeq)) {
            throw new IllegalStateException("KEY for events " + (lastSeq - count + 1) + ".." + lastSeq
                    + ", which are not the last held");
        }
        IdempotencyKeys.Claim claim = keys.claim(tag.key(), tag.digest(), nowNanos);
        tags.put(lastSeq, new Tagged(lastSeq, count, tag,
                claim instanceof IdempotencyKeys.Claim.Granted granted ? granted : null));
    }

    /**
     * The highest sequence number held as pending at the peer now, 0 when none: what to
     * acknowledge. A stale event is not acknowledged until the peer sends it again (the peer may
     * have aborted it), nor a confirmed one (the peer committed it, and never sent it as PENDING
     * on this connection).
     */
    public long highest() {
        if (syncing) {
            // Nothing held again is committed or aborted before CAUGHT_UP; only stale events go.
            return highestHeldAgain;
        }
        // Outside a catch-up every event held is pending at the peer.
        return events.isEmpty() ? 0 : events.lastKey();
    }

    public int size() {
        return events.size();
    }

    public boolean isEmpty() {
        return events.isEmpty();
    }

    /**
     * While syncing: the peer's catch-up replays its committed event {@code seq}. Stale events
     * before it were not committed (or come as a GAP) and are dropped; a stale event {@code seq}
     * is confirmed, to be committed by {@link #commitConfirmed} with its key.
     *
     * @return whether event {@code seq} is held here: then it is not applied from the replay
     */
    public boolean replayed(long seq) {
        if (!syncing) {
            return false;
        }
        // Confirmed events are a prefix: look only after them.
        for (Iterator<Held> it = events.tailMap(confirmedThrough, false).values().iterator(); it.hasNext(); ) {
            Held held = it.next();
            if (held.state != State.STALE || held.event.seq() > seq) {
                return false;
            }
            if (held.event.seq() == seq) {
                held.state = State.CONFIRMED;
                confirmedThrough = seq;
                return true;
            }
            drop(it, held);
        }
        return false;
    }

    /**
     * Commits the events {@link #replayed} confirmed; call before applying anything after them,
     * and not merely at the end of a read: a publish's events are replayed together, and
     * committing part of them would lose the answer its key is remembered with.
     */
    public void commitConfirmed(long nowNanos) {
        if (confirmedThrough > 0) {
            long upTo = confirmedThrough;
            confirmedThrough = 0;
            commitUpTo(upTo, nowNanos);
        }
    }

    /** The peer's catch-up ended: what is still stale was aborted while the link was down. */
    public void caughtUp(long nowNanos) {
        commitConfirmed(nowNanos);
        dropWhere(held -> held.state == State.STALE);
        syncing = false;
        confirmedThrough = 0;
    }

    /**
     * Delivers the held events up to {@code upTo}, as the peer committed them.
     *
     * @throws IllegalStateException while syncing: the peer commits only after its catch-up
     */
    public void commit(long upTo, long nowNanos) {
        if (syncing) {
            throw new IllegalStateException("COMMIT " + upTo + " before the catch-up ended");
        }
        commitUpTo(upTo, nowNanos);
    }

    /** Drops the held events {@code firstSeq..lastSeq}: they never exist. */
    public void abort(long firstSeq, long lastSeq) {
        if (firstSeq <= lastSeq) {
            dropAll(events.subMap(firstSeq, true, lastSeq, true).values().iterator(), held -> true);
        }
    }

    /** The peer's origin is gone: deliver everything held (see the class comment). */
    public void originGone(long nowNanos) {
        syncing = false;
        confirmedThrough = 0;
        if (origin == null || events.isEmpty()) {
            clear();
            return;
        }
        commitUpTo(Long.MAX_VALUE, nowNanos);
    }

    /** Drops everything held, freeing the keys it claimed. */
    public void clear() {
        dropWhere(held -> true);
        tags.values().forEach(this::release);
        tags.clear();
        syncing = false;
        confirmedThrough = 0;
    }

    private void commitUpTo(long upTo, long nowNanos) {
        List<RemoteEvent> committed = new ArrayList<>();
        while (!events.isEmpty() && events.firstKey() <= upTo) {
            Held held = events.pollFirstEntry().getValue();
            bytes -= cost(held.event);
            committed.add(held.event);
        }
        List<Event> applied = apply(committed, nowNanos);
        Map<Long, Event> bySeq = new HashMap<>();
        for (Event event : applied) {
            bySeq.put(event.seq(), event);
        }
        while (!tags.isEmpty() && tags.firstKey() <= upTo) {
            remember(tags.pollFirstEntry().getValue(), bySeq, nowNanos);
        }
    }

    private List<Event> apply(List<RemoteEvent> committed, long nowNanos) {
        List<Event> applied = new ArrayList<>(committed.size());
        List<RemoteEvent> run = new ArrayList<>(committed.size());
        for (RemoteEvent event : committed) {
            if (event.data().length > maxEventBytes) {
                hub.applyRemote(origin, run, nowNanos, applied);
                run.clear();
                skippedTooLarge.run();
                hub.applyGaps(origin, Map.of(event.stream(), event.seq()), 0);
            } else {
                run.add(event);
            }
        }
        hub.applyRemote(origin, run, nowNanos, applied);
        return applied;
    }

    /**
     * A retry of this publish sent here is answered with the ids the events have on this relay:
     * positions that name the same events (and resume from the same place) as the origin's ids.
     */
    private void remember(Tagged tagged, Map<Long, Event> bySeq, long nowNanos) {
        List<Event> batch = new ArrayList<>(tagged.count);
        for (long seq = tagged.lastSeq - tagged.count + 1; seq <= tagged.lastSeq; seq++) {
            Event event = bySeq.get(seq);
            if (event == null) {
                release(tagged); // applied before (a duplicate) or aborted in part: no answer to give
                return;
            }
            batch.add(event);
        }
        String answer = PublishAnswer.of(tagged.tag.single(), batch);
        if (tagged.claim != null) {
            keys.complete(tagged.tag.key(), tagged.claim, answer, nowNanos);
        } else {
            keys.remember(tagged.tag.key(), tagged.tag.digest(), answer, nowNanos);
        }
    }

    private void dropWhere(Predicate<Held> dropped) {
        dropAll(events.values().iterator(), dropped);
    }

    private void dropAll(Iterator<Held> it, Predicate<Held> dropped) {
        while (it.hasNext()) {
            Held held = it.next();
            if (dropped.test(held)) {
                drop(it, held);
            }
        }
    }

    /** Removes {@code held} and the key of its publish, whose answer can no longer be known here. */
    private void drop(Iterator<Held> it, Held held) {
        it.remove();
        bytes -= cost(held.event);
        long seq = held.event.seq();
        Map.Entry<Long, Tagged> covering = tags.ceilingEntry(seq);
        if (covering != null && seq > covering.getKey() - covering.getValue().count) {
            tags.remove(covering.getKey());
            release(covering.getValue());
        }
    }

    private void release(Tagged tagged) {
        if (tagged.claim != null) {
            keys.release(tagged.tag.key(), tagged.claim);
        }
    }

    /** An event in the origin's measure: see the class comment. */
    private static long cost(RemoteEvent event) {
        return event.data().length;
    }

    private enum State {
        /** Pending at the peer: wait for its COMMIT or ABORT. */
        HELD,
        /** Held before the peer's latest HELLO: wait for its catch-up to say what became of it. */
        STALE,
        /** Stale, and the catch-up replayed it: committed at the peer. */
        CONFIRMED
    }

    private static final class Held {
        final RemoteEvent event;
        State state = State.HELD;

        Held(RemoteEvent event) {
            this.event = event;
        }
    }

    private record Tagged(long lastSeq, int count, IdempotencyTag tag, IdempotencyKeys.Claim.Granted claim) {
    }
}
