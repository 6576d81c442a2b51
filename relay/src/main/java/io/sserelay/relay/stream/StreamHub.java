package io.sserelay.relay.stream;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The relay's event log and fan-out: numbers accepted events, keeps each stream's history
 * within {@link HistoryLimits}, computes what a resuming subscriber missed, and hands every
 * event to the subscribers of its stream.
 *
 * <p>In a cluster the hub also hands its own events to the peers that follow it, and applies
 * the events peers send it: numbered by their origin, deduplicated by {@code (origin, seq)},
 * and then treated like local events for history and fan-out.
 *
 * <p>Concurrency: one lock orders everything. Publishing (on worker threads), subscribing and
 * unsubscribing (on IO threads) and eviction (on the sweeper thread) each take it for a short,
 * non-blocking step: subscribers only queue what they are handed. Holding one lock while
 * numbering and fanning out is what makes every subscriber see events in acceptance order and
 * makes a catch-up and the live events after it meet without gap or overlap.
 */
public final class StreamHub {

    private static final char[] ORIGIN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final int ORIGIN_LENGTH = 8;

    private final ReentrantLock lock = new ReentrantLock();
    private final String origin;
    private final HistoryLimits limits;
    private final boolean clustered;
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
    private final Set<PeerSubscriber> followers = new LinkedHashSet<>();

    private long lastSeq;
    private long lastIndex;
    private Position head;
    private long staleInRetained;
    private boolean closing;

    // Written only under the lock; volatile so that metrics can read them without it.
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
    private volatile long resets;
    private volatile long accepted;
    private volatile long applied;
    private volatile long duplicates;

    /**
     * @param clustered whether peers may deliver events of other origins. A relay on its own
     *                  can never replay another origin's events (such a position comes from an
     *                  earlier run of the relay), so it answers a resume from one with a reset;
     *                  a clustered relay waits for its peers to deliver them.
     */
    public StreamHub(String origin, HistoryLimits limits, boolean clustered) {
        if (!Position.isValidOrigin(origin)) {
            throw new IllegalArgumentException("invalid origin id: " + origin);
        }
        this.origin = origin;
        this.limits = limits;
        this.clustered = clustered;
        this.head = Position.of(origin, 0);
    }

    /**
     * A fresh origin id. A relay takes a new one each time it starts, because its sequence
     * numbers start again at 1 and must never be confused with an earlier run's.
     */
    public static String newOrigin() {
        SecureRandom random = new SecureRandom();
        char[] id = new char[ORIGIN_LENGTH];
        for (int i = 0; i < id.length; i++) {
            id[i] = ORIGIN_ALPHABET[random.nextInt(ORIGIN_ALPHABET.length)];
        }
        return new String(id);
    }

    public String origin() {
        return origin;
    }

    /** Numbers, retains and fans out a batch, atomically and in order. */
    public List<Event> publish(List<PublishRequest> requests, long acceptedNanos) {
        lock.lock();
        try {
            if (closing) {
                throw new RelayClosingException();
            }
            List<Event> events = new ArrayList<>(requests.size());
            for (PublishRequest request : requests) {
                long seq = ++lastSeq;
                head = head.with(origin, seq);
                StreamLog log = logFor(request.stream());
                Event event = new Event(log.name, origin, seq, ++lastIndex, request.type(), request.data(),
                        head, acceptedNanos, clustered);
                retain(log, event);
                for (Subscriber subscriber : log.subscribers) {
                    subscriber.onEvent(event);
                }
                for (PeerSubscriber follower : followers) {
                    follower.onEvent(event);
                }
                dropIfIdle(log);
                events.add(event);
            }
            accepted = lastSeq;
            enforceLimits();
            return events;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Registers a subscriber on the given streams. It first gets a {@link CatchUp} with what it
     * missed after {@code from} (null for a new subscriber), then every later event.
     *
     * @throws InvalidPositionException when {@code from} is ahead of what this relay has accepted
     * @throws RelayClosingException    when the relay is shutting down
     */
    public void subscribe(List<String> streams, Position from, Subscriber subscriber) {
        lock.lock();
        try {
            if (closing) {
                throw new RelayClosingException();
            }
            if (from != null && from.seqOf(origin) > lastSeq) {
                throw new InvalidPositionException("event id '" + from + "' is ahead of this relay: origin " + origin
                        + " has accepted events up to " + lastSeq + " only");
            }
            List<String> resetStreams = new ArrayList<>();
            List<Event> replay = new ArrayList<>();
            List<StreamLog> subscribed = new ArrayList<>(streams.size());
            boolean foreignOrigins = from != null && !clustered && namesOtherOrigins(from);
            for (String stream : streams) {
                StreamLog log = logFor(stream);
                subscribed.add(log);
                if (from != null) {
                    if (foreignOrigins || log.hasGapAfter(from)) {
                        resetStreams.add(stream);
                    }
                    log.collectAfter(from, replay);
                }
            }
            if (subscribed.size() > 1) {
                replay.sort(Comparator.comparingLong(Event::index));
            }
            if (!resetStreams.isEmpty()) {
                resets++;
            }
            // A relay on its own can never deliver another origin's events: the subscriber
            // continues from its position without them, or every reconnect would be reset again.
            Position continueFrom = foreignOrigins ? Position.of(origin, from.seqOf(origin)) : from;
            subscriber.onCatchUp(new CatchUp(continueFrom, Collections.unmodifiableList(resetStreams),
                    Collections.unmodifiableList(replay), head, foreignOrigins ? continueFrom : null));
            for (StreamLog log : subscribed) {
                log.subscribers.add(subscriber);
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean namesOtherOrigins(Position position) {
        for (int i = 0; i < position.size(); i++) {
            if (!position.origin(i).equals(origin) && position.seq(i) > 0) {
                return true;
            }
        }
        return false;
    }

    public void unsubscribe(List<String> streams, Subscriber subscriber) {
        lock.lock();
        try {
            for (String stream : streams) {
                StreamLog log = logs.get(stream);
                if (log != null) {
                    log.subscribers.remove(subscriber);
                    dropIfIdle(log);
                }
            }
            enforceLimits();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Registers a peer that follows this relay's own events. It first gets what it missed
     * after {@code after} (its position; only this relay's origin matters), then each event
     * this relay accepts.
     *
     * @throws InvalidPositionException when the peer claims more of this origin than exists
     * @throws RelayClosingException    when the relay is shutting down
     */
    public void follow(Position after, PeerSubscriber follower) {
        lock.lock();
        try {
            if (closing) {
                throw new RelayClosingException();
            }
            long from = after.seqOf(origin);
            if (from > lastSeq) {
                throw new InvalidPositionException("position '" + after + "' is ahead of this relay: origin " + origin
                        + " has accepted events up to " + lastSeq + " only");
            }
            List<Event> replay = new ArrayList<>();
            for (Event event : retained) {
                if (!event.evicted && event.origin().equals(origin) && event.seq() > from) {
                    replay.add(event);
                }
            }
            Map<String, Long> evicted = new HashMap<>();
            for (StreamLog log : logs.values()) {
                Long upTo = log.evictedUpTo.get(origin);
                if (upTo != null && upTo > from) {
                    evicted.put(log.name, upTo);
                }
            }
            tombstones.forEach((stream, watermarks) -> {
                Long upTo = watermarks.get(origin);
                if (upTo != null && upTo > from) {
                    evicted.put(stream, upTo);
                }
            });
            long evictedAny = forgotten.getOrDefault(origin, 0L);
            follower.onCatchUp(new OriginCatchUp(origin, lastSeq, Collections.unmodifiableMap(evicted),
                    evictedAny > from ? evictedAny : 0, Collections.unmodifiableList(replay)));
            followers.add(follower);
        } finally {
            lock.unlock();
        }
    }

    public void unfollow(PeerSubscriber follower) {
        lock.lock();
        try {
            followers.remove(follower);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Applies events a peer sent from {@code origin}'s numbering: events already applied (by
     * {@code (origin, seq)}) are dropped as duplicates; the others are retained and fanned out
     * like local events. Peers send an origin's events in sequence order.
     *
     * @return how many events were new
     */
    public int applyRemote(String origin, List<RemoteEvent> events, long receivedNanos) {
        if (origin.equals(this.origin)) {
            throw new IllegalArgumentException("events of this relay's own origin cannot come from a peer");
        }
        lock.lock();
        try {
            int fresh = 0;
            for (RemoteEvent remote : events) {
                if (remote.seq() <= head.seqOf(origin)) {
                    duplicates++;
                    continue;
                }
                head = head.with(origin, remote.seq());
                StreamLog log = logFor(remote.stream());
                Event event = new Event(log.name, origin, remote.seq(), ++lastIndex, remote.type(), remote.data(),
                        head, receivedNanos, false);
                retain(log, event);
                for (Subscriber subscriber : log.subscribers) {
                    subscriber.onEvent(event);
                }
                dropIfIdle(log);
                fresh++;
            }
            applied += fresh;
            enforceLimits();
            return fresh;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records that a peer no longer has some of {@code origin}'s events that this relay never
     * applied: per stream in {@code evictedStreams}, and for every stream up to
     * {@code evictedAnyStream}. Subscribers of the streams concerned are told they missed
     * events, and later resumes from before the loss get a reset.
     */
    public void applyGaps(String origin, Map<String, Long> evictedStreams, long evictedAnyStream) {
        lock.lock();
        try {
            long have = head.seqOf(origin);
            Map<Subscriber, List<String>> told = new IdentityHashMap<>();
            if (evictedAnyStream > have) {
                forget(Map.of(origin, evictedAnyStream));
                for (StreamLog log : logs.values()) {
                    markGap(log, origin, evictedAnyStream, told);
                }
            }
            evictedStreams.forEach((stream, upTo) -> {
                if (upTo > have) {
                    StreamLog log = logs.get(stream);
                    if (log == null) {
                        tombstone(stream, Map.of(origin, upTo));
                        enforceLimits();
                    } else {
                        markGap(log, origin, upTo, told);
                    }
                }
            });
            told.forEach(Subscriber::onGap);
            if (!told.isEmpty()) {
                resets += told.size();
            }
        } finally {
            lock.unlock();
        }
    }

    private static void markGap(StreamLog log, String origin, long upTo, Map<Subscriber, List<String>> told) {
        if (log.lostUpTo(origin) >= upTo) {
            return;
        }
        log.evictedUpTo.put(origin, upTo);
        for (Subscriber subscriber : log.subscribers) {
            told.computeIfAbsent(subscriber, s -> new ArrayList<>()).add(log.name);
        }
    }

    /** Drops events older than the history's maximum age; called periodically. */
    public void evictExpired(long nowNanos) {
        long maxAgeNanos = limits.maxAge().toNanos();
        lock.lock();
        try {
            Event oldest;
            while ((oldest = retained.peekFirst()) != null
                    && (oldest.evicted || nowNanos - oldest.acceptedNanos() > maxAgeNanos)) {
                evictOldest();
            }
            enforceLimits();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops accepting publishes and subscriptions and tells every subscriber, so that each
     * gets the events accepted before this call and then the signal to reconnect.
     */
    public void close() {
        lock.lock();
        try {
            if (closing) {
                return;
            }
            closing = true;
            Set<Subscriber> notified = Collections.newSetFromMap(new IdentityHashMap<>());
            for (StreamLog log : logs.values()) {
                for (Subscriber subscriber : log.subscriberSnapshot()) {
                    if (notified.add(subscriber)) {
                        subscriber.onRelayClosing();
                    }
                }
            }
            for (PeerSubscriber follower : List.copyOf(followers)) {
                follower.onRelayClosing();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the hub's lock can be had within {@code timeout}: false means the relay is stuck. */
    public boolean responsive(Duration timeout) {
        try {
            if (lock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                lock.unlock();
                return true;
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** This relay's current position: every event it has accepted. */
    public Position head() {
        lock.lock();
        try {
            return head;
        } finally {
            lock.unlock();
        }
    }

    public long retainedEvents() {
        return retainedEvents;
    }

    /** Heap of the retained events. */
    public long retainedBytes() {
        return retainedBytes;
    }

    /**
     * Heap the history's budget counts: retained events, the logs of the streams that hold
     * them, and tombstones.
     */
    public long historyBytes() {
        return retainedBytes + streamBytes + tombstoneBytes;
    }

    /** Streams holding retained events. */
    public long retainedStreams() {
        return retainedStreams;
    }

    /** Streams known now: those holding events and those with subscribers. */
    public int liveStreams() {
        return liveStreams;
    }

    /** Streams dropped while idle whose evictions are remembered one by one. */
    public int tombstones() {
        return tombstoneCount;
    }

    /** Heap held by the tombstones. */
    public long tombstoneBytes() {
        return tombstoneBytes;
    }

    public HistoryLimits limits() {
        return limits;
    }

    /** Subscriptions that were told their position is older than the history. */
    public long resets() {
        return resets;
    }

    /** Events accepted from publishers on this relay. */
    public long accepted() {
        return accepted;
    }

    /** Events received from peers and applied. */
    public long applied() {
        return applied;
    }

    /** Events received from peers that had already been applied. */
    public long duplicates() {
        return duplicates;
    }

    /** The peers following this relay's events now. */
    public int followers() {
        lock.lock();
        try {
            return followers.size();
        } finally {
            lock.unlock();
        }
    }

    private StreamLog logFor(String stream) {
        StreamLog log = logs.get(stream);
        if (log == null) {
            Map<String, Long> tombstone = removeTombstone(stream);
            log = new StreamLog(stream, tombstone == null ? Map.of() : tombstone, forgotten);
            logs.put(stream, log);
            liveStreams = logs.size();
        }
        return log;
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

    private void retain(StreamLog log, Event event) {
        if (limits.maxEventsPerStream() == 0) {
            log.recordEvicted(event);
            return;
        }
        if (log.history.isEmpty()) {
            log.chargedBytes = HeapCost.stream(log.name) + HeapCost.ORIGIN_ENTRY * log.evictedUpTo.size();
            streamBytes += log.chargedBytes;
            retainedStreams++;
        }
        log.history.addLast(event);
        retained.addLast(event);
        retainedBytes += event.retainedBytes();
        retainedEvents++;
        while (log.history.size() > limits.maxEventsPerStream()) {
            Event dropped = log.history.pollFirst();
            markEvicted(log, dropped);
            staleInRetained++;
        }
        compactRetainedIfMostlyStale();
    }

    /**
     * Brings the history within its limits, oldest first. Over the heap budget, tombstones go
     * before events: folding one only makes later resumes more cautious (a reset where one
     * might not have been needed), while evicting an event loses it.
     */
    private void enforceLimits() {
        while (!retained.isEmpty() && retainedStreams > limits.maxStreams()) {
            evictOldest();
        }
        while (historyBytes() > limits.maxBytes()) {
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
        event.evicted = true;
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

    private void dropIfIdle(StreamLog log) {
        if (log.isIdle()) {
            logs.remove(log.name);
            liveStreams = logs.size();
            if (!log.evictedUpTo.isEmpty()) {
                tombstone(log.name, log.evictedUpTo);
            }
        }
    }
}
