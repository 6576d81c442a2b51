package io.sserelay.relay.stream;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

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
    /**
     * The most origins of stopped relays whose events ids still mention. Beyond it, the one
     * silent longest is retired at once: its events leave the history (resumes from before them
     * get a {@code reset}), so ids stay within {@link Position#MAX_ENTRIES} however often relays
     * restart.
     */
    public static final int MAX_STOPPED_ORIGINS = 64;
    /** The most retired origins remembered; see {@link #retired}. */
    static final int MAX_RETIRED_ORIGINS = 4096;

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
    /** The other origins in {@link #head}: when each was last heard from, and what of it is retained. */
    private final Map<String, OriginState> foreign = new HashMap<>();
    /**
     * Origins that left {@link #head} (see {@link #retireOrigins}), oldest first, with the last
     * sequence number applied and when the origin started. Ids given out since no longer name
     * them; this is what still reads ids exactly.
     */
    private final LinkedHashMap<String, RetiredOrigin> retired = new LinkedHashMap<>();
    /** The origin each peer link last said hello with: those relays are running, or may be. */
    private final Map<Object, String> claims = new HashMap<>();
    /** This origin's replicated publishes that are numbered but not yet committed, in sequence order. */
    private final ArrayDeque<HeldBatch> held = new ArrayDeque<>();

    private long lastSeq;
    private long lastIndex;
    /** When this relay started, in seconds since the epoch: announced to peers in HELLO. */
    private final long startedAt;
    /** The latest start among the retired origins whose start is known: the horizon of {@link #head}. */
    private long horizon;
    /**
     * Long.MAX_VALUE once an origin with events but an unknown start (a peer of an earlier
     * version) was retired: no horizon covers it, so readers that do not name it are checked.
     */
    private long latestUnknownStartRetired;
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
    /** Heap of the retired origins' records. */
    private volatile long retiredBytes;
    private volatile long retiredTotal;
    /** Origins the ids name now. */
    private volatile int idOrigins = 1;
    private volatile int tombstoneCount;
    private volatile int liveStreams;
    private volatile long resets;
    /** Guarded by the lock. */
    private long adopted;
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
        this.startedAt = System.currentTimeMillis() / 1000;
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
                events.add(appendOwn(++lastSeq, request.stream(), request.type(), request.data(), acceptedNanos,
                        true));
            }
            accepted += events.size(); // not lastSeq: aborted replicated publishes took numbers too
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
            // Retired origins leave the position; it lost events if it is behind on one of them.
            Position effective = from == null ? null : readRetired(from);
            boolean missedRetired = from != null && missedRetiredOrigin(from);
            for (String stream : streams) {
                StreamLog log = logFor(stream);
                subscribed.add(log);
                if (from != null) {
                    if (foreignOrigins || missedRetired || log.hasGapAfter(effective)) {
                        resetStreams.add(stream);
                    }
                    log.collectAfter(effective, replay);
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
            Position continueFrom = foreignOrigins ? Position.of(origin, from.seqOf(origin)) : effective;
            boolean moved = continueFrom != from;
            subscriber.onCatchUp(new CatchUp(continueFrom, Collections.unmodifiableList(resetStreams),
                    Collections.unmodifiableList(replay), head, moved && !resetStreams.isEmpty() ? continueFrom : null));
            for (StreamLog log : subscribed) {
                log.subscribers.add(subscriber);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code position} as this relay reads it: without the origins it has retired, and with
     * every origin it still names that the position does not name but covers by its horizon
     * (the reader came from a relay that retired it) at this relay's sequence number.
     */
    private Position readRetired(Position position) {
        Position effective = position;
        if (!retired.isEmpty()) {
            for (int i = 0; i < position.size(); i++) {
                if (retired.containsKey(position.origin(i))) {
                    effective = effective.without(position.origin(i));
                }
            }
        }
        if (position.horizon() > 0) {
            for (Map.Entry<String, OriginState> entry : foreign.entrySet()) {
                OriginState state = entry.getValue();
                if (state.startedAt > 0 && state.startedAt <= position.horizon() && position.seqOf(entry.getKey()) == 0) {
                    effective = effective.with(entry.getKey(), head.seqOf(entry.getKey()));
                }
            }
        }
        return effective;
    }

    /**
     * True when a reader at {@code position} may have missed events of a retired origin: it
     * names the origin at less than its last sequence number, or it does not name it and its
     * horizon does not cover the origin (it never saw the origin at all).
     */
    private boolean missedRetiredOrigin(Position position) {
        if (retired.isEmpty()) {
            return false;
        }
        for (int i = 0; i < position.size(); i++) {
            RetiredOrigin record = retired.get(position.origin(i));
            if (record != null && position.seq(i) < record.lastSeq) {
                return true;
            }
        }
        if (position.horizon() >= horizon && position.horizon() >= latestUnknownStartRetired) {
            return false; // the common case: it has seen everything this relay retired
        }
        for (Map.Entry<String, RetiredOrigin> entry : retired.entrySet()) {
            RetiredOrigin record = entry.getValue();
            boolean covered = record.startedAt > 0 && record.startedAt <= position.horizon();
            if (record.lastSeq > 0 && !covered && position.seqOf(entry.getKey()) == 0) {
                return true;
            }
        }
        return false;
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
            // Publishes still waiting for an acknowledgement go to a follower that can give one.
            List<HeldBatch> pending = follower.holdsPending() ? List.copyOf(held) : List.of();
            follower.onCatchUp(new OriginCatchUp(origin, lastSeq, Collections.unmodifiableMap(evicted),
                    evictedAny > from ? evictedAny : 0, Collections.unmodifiableList(replay), pending, startedAt,
                    stoppedOriginsLocked()));
            follower.onHorizon(horizon);
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
        return applyRemote(origin, events, receivedNanos, null);
    }

    /** As {@link #applyRemote(String, List, long)}, adding the new events to {@code appliedOut} when not null. */
    public int applyRemote(String origin, List<RemoteEvent> events, long receivedNanos, List<Event> appliedOut) {
        if (origin.equals(this.origin)) {
            throw new IllegalArgumentException("events of this relay's own origin cannot come from a peer");
        }
        lock.lock();
        try {
            int fresh = 0;
            for (RemoteEvent remote : events) {
                if (remote.seq() <= appliedSeqLocked(origin)) {
                    duplicates++;
                    continue;
                }
                OriginState state = knownOrigin(origin, 0, receivedNanos);
                state.lastHeardNanos = receivedNanos;
                head = head.with(origin, remote.seq());
                idOrigins = head.size();
                StreamLog log = logFor(remote.stream());
                Event event = new Event(log.name, origin, remote.seq(), ++lastIndex, remote.type(), remote.data(),
                        head, receivedNanos, false);
                if (retain(log, event)) {
                    state.retainedEvents++;
                }
                for (Subscriber subscriber : log.subscribers) {
                    subscriber.onEvent(event);
                }
                dropIfIdle(log);
                if (appliedOut != null) {
                    appliedOut.add(event);
                }
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
     * Numbers a replicated publish and holds it: followers that acknowledge get it now, and
     * nothing else sees it until {@link #commitHeld} (subscribers, history, this relay's position,
     * followers that cannot acknowledge) or never, after {@link #abortHeld}. Its numbers are
     * taken either way, so an aborted publish leaves a hole in this origin's numbering, which
     * positions skip like any number they never saw.
     *
     * @throws RelayClosingException when the relay is shutting down
     */
    public HeldBatch hold(List<PublishRequest> requests, IdempotencyTag tag, long acceptedNanos) {
        return hold(requests, tag, acceptedNanos, lastSeq -> { });
    }

    /**
     * As {@link #hold(List, IdempotencyTag, long)}; {@code numbered} hears the batch's last
     * sequence number before any follower is sent it, so that it can tell an acknowledgement
     * that arrives at once from one for a number never sent. It runs under the hub's lock.
     */
    public HeldBatch hold(List<PublishRequest> requests, IdempotencyTag tag, long acceptedNanos, LongConsumer numbered) {
        lock.lock();
        try {
            if (closing) {
                throw new RelayClosingException();
            }
            List<HeldEvent> events = new ArrayList<>(requests.size());
            for (PublishRequest request : requests) {
                events.add(new HeldEvent(++lastSeq, request.stream(), request.type(), request.data()));
            }
            HeldBatch batch = new HeldBatch(List.copyOf(events), tag, acceptedNanos);
            numbered.accept(batch.lastSeq());
            held.addLast(batch);
            for (PeerSubscriber follower : followers) {
                if (follower.holdsPending()) {
                    follower.onHeld(batch);
                }
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes the oldest held publish, which must be {@code batch}, events like those of
     * {@link #publish}: retained, fanned out, in this relay's position; followers that
     * acknowledge are told to do the same with theirs. Held publishes commit in order.
     */
    public List<Event> commitHeld(HeldBatch batch) {
        lock.lock();
        try {
            if (held.peekFirst() != batch) {
                throw new IllegalStateException("held publishes commit in sequence order; "
                        + batch.firstSeq() + " is not the oldest");
            }
            held.pollFirst();
            List<Event> events = new ArrayList<>(batch.events().size());
            for (HeldEvent heldEvent : batch.events()) {
                events.add(appendOwn(heldEvent.seq(), heldEvent.stream(), heldEvent.type(), heldEvent.data(),
                        batch.acceptedNanos(), false));
            }
            for (PeerSubscriber follower : followers) {
                if (follower.holdsPending()) {
                    follower.onCommitted(batch.lastSeq());
                }
            }
            accepted += events.size();
            enforceLimits();
            return events;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes event {@code seq} of this origin: in the position, retained, to its stream's
     * subscribers and to followers; a follower that holds pending events gets it only when
     * {@code toHolders} (it has it as PENDING otherwise, and is told of the commit).
     */
    private Event appendOwn(long seq, String stream, String type, byte[] data, long acceptedNanos, boolean toHolders) {
        head = head.with(origin, seq);
        StreamLog log = logFor(stream);
        Event event = new Event(log.name, origin, seq, ++lastIndex, type, data, head, acceptedNanos, clustered);
        retain(log, event);
        for (Subscriber subscriber : log.subscribers) {
            subscriber.onEvent(event);
        }
        for (PeerSubscriber follower : followers) {
            if (toHolders || !follower.holdsPending()) {
                follower.onEvent(event);
            }
        }
        dropIfIdle(log);
        return event;
    }

    /** Drops a held publish: its numbers never become events anywhere. */
    public void abortHeld(HeldBatch batch) {
        lock.lock();
        try {
            if (held.remove(batch)) {
                for (PeerSubscriber follower : followers) {
                    if (follower.holdsPending()) {
                        follower.onAborted(batch.firstSeq(), batch.lastSeq());
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The last sequence number this origin has given out, held publishes included. */
    public long lastSeq() {
        lock.lock();
        try {
            return lastSeq;
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
            long have = appliedSeqLocked(origin);
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
            retireOrigins(nowNanos);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records that a peer link follows {@code origin} now (it said hello with it), replacing
     * what the link followed before. Origins no link follows belong to relays that stopped or
     * left the peer set, and are retired once silent for the history's maximum age.
     */
    public void claimOrigin(Object link, String origin, long startedAt, long nowNanos) {
        if (origin.equals(this.origin)) {
            throw new IllegalArgumentException("a peer link cannot follow this relay's own origin");
        }
        lock.lock();
        try {
            claims.put(link, origin);
            // Ids name a peer from the moment it is followed, so a reader that never saw it is
            // never taken for one that saw all of it.
            OriginState state = knownOrigin(origin, startedAt, nowNanos);
            if (state.lastHeardNanos - nowNanos < 0) {
                state.lastHeardNanos = nowNanos;
            }
            retireStoppedBeyondLimit();
        } finally {
            lock.unlock();
        }
    }

    /** The link stopped: the origin it followed is no longer known to be running. */
    public void releaseOrigin(Object link) {
        lock.lock();
        try {
            claims.remove(link);
            retireStoppedBeyondLimit();
        } finally {
            lock.unlock();
        }
    }

    /** The state of {@code origin}, which ids name from now on. */
    private OriginState knownOrigin(String o, long startedAt, long nowNanos) {
        OriginState state = foreign.get(o);
        if (state == null) {
            // A retired origin comes back when its relay left the peer set and returned.
            RetiredOrigin record = removeRetired(o);
            state = new OriginState(startedAt > 0 ? startedAt : record == null ? 0 : record.startedAt, nowNanos);
            foreign.put(o, state);
            head = head.with(o, record == null ? 0 : record.lastSeq);
            idOrigins = head.size();
        } else if (startedAt > 0) {
            state.startedAt = startedAt;
        }
        return state;
    }

    /** The origins this relay knows that no link follows and that it has not retired. */
    private List<StoppedOrigin> stoppedOriginsLocked() {
        if (foreign.isEmpty()) {
            return List.of();
        }
        Set<String> running = new HashSet<>(claims.values());
        long now = System.nanoTime();
        List<StoppedOrigin> stopped = new ArrayList<>();
        foreign.forEach((o, state) -> {
            if (!running.contains(o) && head.seqOf(o) > 0) {
                long silentFor = Math.max(0, TimeUnit.NANOSECONDS.toMillis(now - state.lastHeardNanos));
                stopped.add(new StoppedOrigin(o, head.seqOf(o), state.startedAt, silentFor));
            }
        });
        return stopped;
    }

    /**
     * Learns origins a peer knows and this relay never followed: relays that stopped before this
     * one joined. Each is named in this relay's ids from now on at the peer's sequence number, so
     * a reader that got its id here is not sent the origin's old events on the peer; and its
     * events up to that number are recorded as lost here (this relay never had them), so a reader
     * that resumes here from before them gets a {@code reset} instead of waiting for events that
     * will not come. Known, retired and horizon-covered origins are left alone, as is this
     * relay's own.
     */
    public void adoptStopped(List<StoppedOrigin> stopped, long nowNanos) {
        lock.lock();
        try {
            Set<String> running = new HashSet<>(claims.values());
            Set<Subscriber> told = Collections.newSetFromMap(new IdentityHashMap<>());
            for (StoppedOrigin known : stopped) {
                String o = known.origin();
                boolean covered = known.startedAt() > 0 && known.startedAt() <= horizon;
                if (o.equals(origin) || retired.containsKey(o) || covered || known.lastSeq() <= head.seqOf(o)) {
                    continue;
                }
                OriginState state = foreign.get(o);
                if (state != null && (running.contains(o) || state.retainedEvents > 0)) {
                    continue; // followed here, or its events are here: this relay knows better
                }
                if (state == null) {
                    state = knownOrigin(o, known.startedAt(), nowNanos);
                    adopted++;
                }
                // Silent for as long as the peer says, so that the origin retires on time here too.
                long heardNanos = nowNanos - TimeUnit.MILLISECONDS.toNanos(known.silentForMillis());
                if (heardNanos - state.lastHeardNanos < 0) {
                    state.lastHeardNanos = heardNanos;
                }
                learnedUpTo(o, known.lastSeq(), told);
            }
            if (!told.isEmpty()) {
                resets += told.size();
            }
            retireStoppedBeyondLimit();
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code o}'s events up to {@code lastSeq} exist, and this relay never had those after what it
     * names: it names them from now on, as lost on every stream, and subscribers waiting for
     * some of them are told (added to {@code told}).
     */
    private void learnedUpTo(String o, long lastSeq, Set<Subscriber> told) {
        head = head.with(o, lastSeq);
        idOrigins = head.size();
        forget(Map.of(o, lastSeq));
        // Every log's record of what was forgotten before it was made gains the same entry;
        // logs made together share one map, so this costs a map per distinct record, not per log.
        Map<Map<String, Long>, Map<String, Long>> raised = new IdentityHashMap<>();
        for (StreamLog log : logs.values()) {
            if (log.lostUpTo(o) < lastSeq) {
                log.forgottenBefore = raised.computeIfAbsent(log.forgottenBefore, before -> {
                    Map<String, Long> with = new HashMap<>(before);
                    with.put(o, lastSeq);
                    return Map.copyOf(with);
                });
            }
            for (Subscriber subscriber : log.subscribers) {
                if (!told.contains(subscriber) && subscriber.onOriginLearned(o, lastSeq)) {
                    told.add(subscriber);
                }
            }
        }
    }

    /** Origins learned from peers rather than followed ({@link #adoptStopped}). */
    public long adoptedOrigins() {
        lock.lock();
        try {
            return adopted;
        } finally {
            lock.unlock();
        }
    }

    /** When this relay started, in seconds since the epoch. */
    public long startedAt() {
        return startedAt;
    }

    /**
     * The highest sequence number of {@code origin} applied here, also once it is retired: where
     * a peer link asks the origin to continue from.
     */
    public long appliedSeq(String origin) {
        lock.lock();
        try {
            return appliedSeqLocked(origin);
        } finally {
            lock.unlock();
        }
    }

    private long appliedSeqLocked(String origin) {
        RetiredOrigin record = retired.get(origin);
        return record != null ? record.lastSeq : head.seqOf(origin);
    }

    /**
     * Retires every origin that no link follows, that has nothing left in this relay's history,
     * and that has been silent for the history's maximum age: no relay can still hold its
     * events, so ids stop naming it. Its eviction records go too; {@link #retired} keeps what
     * reading old ids needs.
     */
    private void retireOrigins(long nowNanos) {
        if (foreign.isEmpty()) {
            return;
        }
        Set<String> running = new HashSet<>(claims.values());
        long maxAgeNanos = limits.maxAge().toNanos();
        List<String> due = new ArrayList<>();
        foreign.forEach((o, state) -> {
            if (!running.contains(o) && state.retainedEvents == 0 && nowNanos - state.lastHeardNanos > maxAgeNanos) {
                due.add(o);
            }
        });
        due.forEach(this::retire);
        retireStoppedBeyondLimit();
    }

    /** Keeps at most {@link #MAX_STOPPED_ORIGINS} origins that no link follows in {@link #head}. */
    private void retireStoppedBeyondLimit() {
        if (foreign.size() <= MAX_STOPPED_ORIGINS) {
            return;
        }
        Set<String> running = new HashSet<>(claims.values());
        List<Map.Entry<String, OriginState>> stopped = new ArrayList<>();
        for (Map.Entry<String, OriginState> entry : foreign.entrySet()) {
            if (!running.contains(entry.getKey())) {
                stopped.add(entry);
            }
        }
        if (stopped.size() <= MAX_STOPPED_ORIGINS) {
            return;
        }
        stopped.sort(Comparator.comparingLong(e -> e.getValue().lastHeardNanos));
        List<String> early = new ArrayList<>();
        for (int i = 0; i < stopped.size() - MAX_STOPPED_ORIGINS; i++) {
            early.add(stopped.get(i).getKey());
        }
        for (String o : early) {
            evictOrigin(o);
            retire(o);
        }
    }

    /** Drops every retained event of {@code o} now, recording it as evicted. */
    private void evictOrigin(String o) {
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

    private void retire(String o) {
        OriginState state = foreign.remove(o);
        long seq = head.seqOf(o);
        retired.put(o, new RetiredOrigin(seq, state.startedAt));
        retiredBytes += HeapCost.RETIRED_ORIGIN;
        retiredTotal++;
        if (state.startedAt <= 0 && seq > 0) {
            latestUnknownStartRetired = Long.MAX_VALUE;
        }
        head = head.without(o);
        idOrigins = head.size();
        setHorizon(state.startedAt);
        while (retired.size() > MAX_RETIRED_ORIGINS) {
            removeRetired(retired.keySet().iterator().next());
        }
        purgeEvictionRecords(o);
    }

    /**
     * Raises this relay's horizon to a peer's: every origin that started by then and that this
     * relay does not name is one it never heard of (it joined after that relay stopped) or one
     * the peer retired, so its readers have nothing to get of it. A horizon more than an hour
     * ahead of {@code nowSeconds} (a peer's clock far off) is ignored.
     */
    public void raiseHorizon(long seconds, long nowSeconds) {
        if (seconds > nowSeconds + 3600) {
            return;
        }
        lock.lock();
        try {
            setHorizon(seconds);
        } finally {
            lock.unlock();
        }
    }

    private void setHorizon(long seconds) {
        if (seconds > horizon) {
            horizon = seconds;
            head = head.withHorizon(seconds);
            for (PeerSubscriber follower : followers) {
                follower.onHorizon(seconds);
            }
        }
    }

    private RetiredOrigin removeRetired(String o) {
        RetiredOrigin record = retired.remove(o);
        if (record != null) {
            retiredBytes -= HeapCost.RETIRED_ORIGIN;
        }
        return record;
    }

    /** Removes {@code o} from every eviction record: what old ids need of it is in {@link #retired}. */
    private void purgeEvictionRecords(String o) {
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
        return retainedBytes + streamBytes + tombstoneBytes + retiredBytes;
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

    /** Origins this relay's ids name now: its own, its peers', and stopped relays' not yet retired. */
    public int idOrigins() {
        return idOrigins;
    }

    /** Origins retired so far. */
    public long retiredOrigins() {
        return retiredTotal;
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

    /** Returns whether the event was retained. */
    private boolean retain(StreamLog log, Event event) {
        if (limits.maxEventsPerStream() == 0) {
            log.recordEvicted(event);
            return false;
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
        return true;
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
        if (event.origin() != origin) {
            OriginState state = foreign.get(event.origin());
            if (state != null) {
                state.retainedEvents--;
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

    private void dropIfIdle(StreamLog log) {
        if (log.isIdle()) {
            logs.remove(log.name);
            liveStreams = logs.size();
            if (!log.evictedUpTo.isEmpty()) {
                tombstone(log.name, log.evictedUpTo);
            }
        }
    }

    /** What the hub tracks of another origin while ids name it. */
    private static final class OriginState {
        /** When the origin's relay started, seconds since the epoch; 0 when not known. */
        long startedAt;
        long lastHeardNanos;
        int retainedEvents;

        OriginState(long startedAt, long lastHeardNanos) {
            this.startedAt = startedAt;
            this.lastHeardNanos = lastHeardNanos;
        }
    }

    /** A retired origin: its last sequence number here, and when it started (0: not known). */
    private record RetiredOrigin(long lastSeq, long startedAt) {
    }
}
