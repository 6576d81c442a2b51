package io.sserelay.relay.replication;

import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.RemoteEvent;
import io.sserelay.relay.stream.StreamHub;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A follower's side of one peer's replicated publishes: the peer's pending events, held (not
 * delivered, not in the history, not in this relay's position) until the peer commits or aborts
 * them, and what becomes of them when the link to the peer breaks:
 *
 * <ul>
 *   <li>the peer says HELLO again with the same origin: it is alive and decides; the held events
 *       are dropped and the peer sends again what it committed (from its history) and what it
 *       still holds;</li>
 *   <li>the peer says HELLO with another origin (it restarted) or leaves the peer set: its origin
 *       is gone and can decide nothing more. The held events are committed, because the origin
 *       may have answered 202 for any of them on this relay's acknowledgement or on another
 *       peer's, and every relay that held them must then deliver them alike.</li>
 * </ul>
 *
 * <p>Memory: the held events are at most what the origin holds, which its publish budget bounds;
 * {@code maxBytes} guards against a peer that breaks that rule, and exceeding it fails the link.
 *
 * <p>Threads: the peer link's thread only.
 */
public final class HeldFromPeer {

    /** An event's bytes beyond its data: the record, its array and stream name, a queue slot. */
    private static final long EVENT_OVERHEAD = 160;

    private final StreamHub hub;
    private final IdempotencyKeys keys;
    private final long maxBytes;
    private final int maxEventBytes;
    private final Runnable skippedTooLarge;
    private String origin;
    private final ArrayDeque<RemoteEvent> events = new ArrayDeque<>();
    private final ArrayDeque<Tagged> tags = new ArrayDeque<>();
    private long bytes;

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
        this.maxEventBytes = maxEventBytes;
        this.skippedTooLarge = skippedTooLarge;
    }

    /** A HELLO from the peer: see the class comment. */
    public void hello(String peerOrigin, long nowNanos) {
        if (origin != null && !origin.equals(peerOrigin)) {
            originGone(nowNanos);
        } else {
            clear();
        }
        origin = peerOrigin;
    }

    /**
     * Holds a pending event; the peer sends them in sequence order.
     *
     * @throws IllegalStateException when the peer breaks the protocol (order, or more than the bound)
     */
    public void hold(RemoteEvent event) {
        RemoteEvent last = events.peekLast();
        if (last != null && event.seq() <= last.seq()) {
            throw new IllegalStateException("pending event " + event.seq() + " after " + last.seq());
        }
        long cost = event.data().length + EVENT_OVERHEAD;
        if (bytes + cost > maxBytes) {
            throw new IllegalStateException("pending events would hold more than " + maxBytes + " bytes");
        }
        events.addLast(event);
        bytes += cost;
    }

    /**
     * The idempotency key of the held events {@code lastSeq - count + 1 .. lastSeq}, which the
     * peer sends right after their PENDING frames.
     *
     * @throws IllegalStateException when those events are not the last held, or the bound is passed
     */
    public void tag(long lastSeq, int count, IdempotencyTag tag) {
        RemoteEvent last = events.peekLast();
        if (last == null || last.seq() != lastSeq || count > events.size()) {
            throw new IllegalStateException("KEY for events " + (lastSeq - count + 1) + ".." + lastSeq
                    + ", which are not the last held");
        }
        long cost = tagCost(tag);
        if (bytes + cost > maxBytes) {
            throw new IllegalStateException("pending events would hold more than " + maxBytes + " bytes");
        }
        tags.addLast(new Tagged(lastSeq, count, tag));
        bytes += cost;
    }

    /** A key's heap: its characters, its digest, and the objects around them, rounded up. */
    private static long tagCost(IdempotencyTag tag) {
        return 2L * tag.key().length() + tag.digest().length + EVENT_OVERHEAD;
    }

    /** The highest sequence number held, 0 when none: what to acknowledge. */
    public long highest() {
        RemoteEvent last = events.peekLast();
        return last == null ? 0 : last.seq();
    }

    public int size() {
        return events.size();
    }

    /** Delivers the held events up to {@code upTo}, as the peer committed them. */
    public void commit(long upTo, long nowNanos) {
        List<RemoteEvent> committed = new ArrayList<>();
        while (!events.isEmpty() && events.peekFirst().seq() <= upTo) {
            committed.add(take());
        }
        apply(committed, upTo, nowNanos);
    }

    /** Drops the held events {@code firstSeq..lastSeq}: they never exist. */
    public void abort(long firstSeq, long lastSeq) {
        events.removeIf(event -> {
            boolean aborted = event.seq() >= firstSeq && event.seq() <= lastSeq;
            if (aborted) {
                bytes -= event.data().length + EVENT_OVERHEAD;
            }
            return aborted;
        });
        tags.removeIf(tagged -> {
            boolean aborted = tagged.lastSeq >= firstSeq && tagged.lastSeq <= lastSeq;
            if (aborted) {
                bytes -= tagCost(tagged.tag);
            }
            return aborted;
        });
    }

    /** The peer's origin is gone: deliver everything held (see the class comment). */
    public void originGone(long nowNanos) {
        if (origin == null || events.isEmpty()) {
            clear();
            return;
        }
        commit(Long.MAX_VALUE, nowNanos);
    }

    /** Drops everything held; the peer will send what still matters again. */
    public void clear() {
        events.clear();
        tags.clear();
        bytes = 0;
    }

    private RemoteEvent take() {
        RemoteEvent event = events.pollFirst();
        bytes -= event.data().length + EVENT_OVERHEAD;
        return event;
    }

    private void apply(List<RemoteEvent> committed, long upTo, long nowNanos) {
        if (committed.isEmpty()) {
            while (!tags.isEmpty() && tags.peekFirst().lastSeq <= upTo) {
                bytes -= tagCost(tags.pollFirst().tag);
            }
            return;
        }
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
        Map<Long, Event> bySeq = new HashMap<>();
        for (Event event : applied) {
            bySeq.put(event.seq(), event);
        }
        while (!tags.isEmpty() && tags.peekFirst().lastSeq <= upTo) {
            Tagged tagged = tags.pollFirst();
            bytes -= tagCost(tagged.tag);
            remember(tagged, bySeq, nowNanos);
        }
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
                return; // applied before (a duplicate) or aborted in part: no answer to give
            }
            batch.add(event);
        }
        keys.remember(tagged.tag.key(), tagged.tag.digest(), PublishAnswer.of(tagged.tag.single(), batch), nowNanos);
    }

    private record Tagged(long lastSeq, int count, IdempotencyTag tag) {
    }
}
