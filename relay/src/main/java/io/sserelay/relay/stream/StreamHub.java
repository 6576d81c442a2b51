package io.sserelay.relay.stream;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * The relay's event log and fan-out: numbers accepted events, hands every event to the
 * subscribers of its stream, and answers a subscriber that resumes with what it missed. What
 * is retained and what is known to be lost is the {@link History}'s; the relay's position and
 * what it knows of each origin are {@link Origins}'; each subscriber's own place is its
 * {@link Cursor}'s.
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
     * The most origins of stopped relays whose events ids still mention; beyond it, the one
     * silent longest is retired at once, so ids stay within {@link Position#MAX_ENTRIES}.
     */
    public static final int MAX_STOPPED_ORIGINS = Origins.MAX_STOPPED;

    private final ReentrantLock lock = new ReentrantLock();
    private final String origin;
    private final boolean clustered;
    private final EventEncoder encoder;
    private final History history;
    private final Origins origins;
    private final Set<PeerSubscriber> followers = new LinkedHashSet<>();
    /** This origin's replicated publishes that are numbered but not yet committed, in sequence order. */
    private final ArrayDeque<HeldBatch> held = new ArrayDeque<>();

    private long lastSeq;
    private long lastIndex;
    /** When this relay started, in seconds since the epoch: announced to peers in HELLO. */
    private final long startedAt;
    private boolean closing;

    // Written only under the lock; volatile so that metrics can read them without it.
    private volatile long resets;
    private volatile long accepted;
    private volatile long applied;
    private volatile long duplicates;

    /**
     * @param clustered whether peers may deliver events of other origins. A relay on its own
     *                  can never replay another origin's events (such a position comes from an
     *                  earlier run of the relay), so it answers a resume from one with a reset;
     *                  a clustered relay waits for its peers to deliver them.
     * @param encoder   makes each event's encoded form, once, as it is accepted
     */
    public StreamHub(String origin, HistoryLimits limits, boolean clustered, EventEncoder encoder) {
        if (!Position.isValidOrigin(origin)) {
            throw new IllegalArgumentException("invalid origin id: " + origin);
        }
        this.origin = origin;
        this.clustered = clustered;
        this.encoder = encoder;
        this.history = new History(origin, limits);
        this.origins = new Origins(origin, history, seconds -> {
            for (PeerSubscriber follower : followers) {
                follower.onHorizon(seconds);
            }
        });
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

    /** As {@link #subscribe(List, ResumeRequest, Subscriber)} from {@code from}; null for a new subscriber. */
    public void subscribe(List<String> streams, Position from, Subscriber subscriber) {
        subscribe(streams, ResumeRequest.from(from), subscriber);
    }

    /**
     * Registers a subscriber on the given streams. It first gets a {@link CatchUp} with what it
     * missed since the position it asks to resume from, then every later event. A position this
     * relay cannot use (unreadable, or ahead of what it has accepted) is refused in the catch-up,
     * and the subscriber starts from now.
     *
     * @throws RelayClosingException when the relay is shutting down
     */
    public void subscribe(List<String> streams, ResumeRequest request, Subscriber subscriber) {
        lock.lock();
        try {
            if (closing) {
                throw new RelayClosingException();
            }
            Position requested = request.position();
            CatchUp.Refusal refused = null;
            if (request.unreadable() != null) {
                refused = new CatchUp.Refusal(ResetReason.INVALID_LAST_EVENT_ID, request.unreadable());
            } else if (requested != null && requested.seqOf(origin) > lastSeq) {
                refused = new CatchUp.Refusal(ResetReason.AHEAD_OF_RELAY, "event id '" + requested
                        + "' is ahead of this relay: origin " + origin + " has accepted events up to " + lastSeq
                        + " only");
                requested = null;
            }
            List<StreamLog> subscribed = new ArrayList<>(streams.size());
            for (String stream : streams) {
                subscribed.add(history.log(stream));
            }
            CatchUp catchUp;
            if (requested == null) {
                catchUp = new CatchUp(null, null, List.of(), List.of(), origins.head(), refused);
            } else {
                catchUp = catchUpFrom(requested, subscribed);
                if (!catchUp.resetStreams().isEmpty()) {
                    resets++;
                }
            }
            subscriber.onCatchUp(catchUp);
            for (StreamLog log : subscribed) {
                log.subscribers.add(subscriber);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * What a reader at {@code requested} missed on {@code subscribed}. Retired origins leave
     * the position, and it lost events if it is behind on one of them; a relay on its own can
     * never deliver another origin's events, so such a reader continues from its position
     * without them, or every reconnect would be reset again.
     */
    private CatchUp catchUpFrom(Position requested, List<StreamLog> subscribed) {
        boolean foreignOnly = !clustered && origins.namesOthers(requested);
        Position effective = origins.read(requested);
        Position from = foreignOnly ? Position.of(origin, requested.seqOf(origin)) : effective;
        boolean lostAll = foreignOnly || origins.missedRetired(requested);
        History.Missed missed = history.missedAfter(subscribed, effective, lostAll);
        return new CatchUp(requested, from, missed.lostStreams(), missed.replay(), origins.head(), null);
    }

    public void unsubscribe(List<String> streams, Subscriber subscriber) {
        lock.lock();
        try {
            for (String stream : streams) {
                StreamLog log = history.existingLog(stream);
                if (log != null) {
                    log.subscribers.remove(subscriber);
                    history.dropIfIdle(log);
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
            long lostAnyStream = history.forgottenUpTo(origin);
            // Publishes still waiting for an acknowledgement go to a follower that can give one.
            List<HeldBatch> pending = follower.holdsPending() ? List.copyOf(held) : List.of();
            follower.onCatchUp(new OriginCatchUp(origin, lastSeq,
                    Collections.unmodifiableMap(history.lostAfter(origin, from)),
                    lostAnyStream > from ? lostAnyStream : 0,
                    Collections.unmodifiableList(history.retainedAfter(origin, from)), pending, startedAt,
                    origins.stopped(System.nanoTime())));
            follower.onHorizon(origins.horizon());
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
                if (remote.seq() <= origins.applied(origin)) {
                    duplicates++;
                    continue;
                }
                Position position = origins.advance(origin, remote.seq(), receivedNanos);
                StreamLog log = history.log(remote.stream());
                Event event = new Event(log.name, origin, remote.seq(), ++lastIndex, remote.type(), remote.data(),
                        position, receivedNanos, encoder, false);
                history.retain(log, event);
                for (Subscriber subscriber : log.subscribers) {
                    subscriber.onEvent(event);
                }
                history.dropIfIdle(log);
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
        Position position = origins.advanceOwn(seq);
        StreamLog log = history.log(stream);
        Event event = new Event(log.name, origin, seq, ++lastIndex, type, data, position, acceptedNanos, encoder,
                clustered);
        history.retain(log, event);
        for (Subscriber subscriber : log.subscribers) {
            subscriber.onEvent(event);
        }
        for (PeerSubscriber follower : followers) {
            if (toHolders || !follower.holdsPending()) {
                follower.onEvent(event);
            }
        }
        history.dropIfIdle(log);
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
            long have = origins.applied(origin);
            Map<Subscriber, List<String>> told = new IdentityHashMap<>();
            if (evictedAnyStream > have) {
                history.forgetEverywhere(origin, evictedAnyStream);
                for (StreamLog log : history.logs()) {
                    if (history.recordLost(log, origin, evictedAnyStream)) {
                        tell(log, told);
                    }
                }
            }
            evictedStreams.forEach((stream, upTo) -> {
                if (upTo > have) {
                    StreamLog log = history.existingLog(stream);
                    if (log == null) {
                        history.recordLostWhileIdle(stream, origin, upTo);
                        enforceLimits();
                    } else if (history.recordLost(log, origin, upTo)) {
                        tell(log, told);
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

    private static void tell(StreamLog log, Map<Subscriber, List<String>> told) {
        for (Subscriber subscriber : log.subscribers) {
            told.computeIfAbsent(subscriber, s -> new ArrayList<>()).add(log.name);
        }
    }

    /** Drops events older than the history's maximum age and retires silent origins; called periodically. */
    public void evictExpired(long nowNanos) {
        lock.lock();
        try {
            history.evictExpired(nowNanos);
            enforceLimits();
            origins.retireSilent(nowNanos);
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
            origins.claim(link, origin, startedAt, nowNanos);
        } finally {
            lock.unlock();
        }
    }

    /** The link stopped: the origin it followed is no longer known to be running. */
    public void releaseOrigin(Object link) {
        lock.lock();
        try {
            origins.release(link);
        } finally {
            lock.unlock();
        }
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
            origins.raiseHorizon(seconds);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Learns origins a peer knows and this relay never followed: relays that stopped before this
     * one joined (see {@link Origins#adopt}). A reader that got its id here is then not sent the
     * origin's old events on the peer, and a reader that resumes here from before them gets a
     * {@code reset} instead of waiting for events that will not come; subscribers waiting for
     * them now are told.
     */
    public void adoptStopped(List<StoppedOrigin> stopped, long nowNanos) {
        lock.lock();
        try {
            Set<Subscriber> told = Collections.newSetFromMap(new IdentityHashMap<>());
            for (StoppedOrigin learned : origins.adopt(stopped, nowNanos)) {
                for (StreamLog log : history.logs()) {
                    for (Subscriber subscriber : log.subscribers) {
                        if (!told.contains(subscriber) && subscriber.onOriginLearned(learned.origin(), learned.lastSeq())) {
                            told.add(subscriber);
                        }
                    }
                }
            }
            if (!told.isEmpty()) {
                resets += told.size();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Origins learned from peers rather than followed ({@link #adoptStopped}). */
    public long adoptedOrigins() {
        lock.lock();
        try {
            return origins.adopted();
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
            return origins.applied(origin);
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
            tellSubscribersToReconnect();
            for (PeerSubscriber follower : List.copyOf(followers)) {
                follower.onRelayClosing();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Tells every subscriber to reconnect (to another relay), as at shutdown, while the hub goes on
     * serving: for a relay that is leaving its cluster before it is stopped. Peers that follow
     * this relay are left alone, and a subscriber that connects later is served.
     */
    public void sendSubscribersAway() {
        lock.lock();
        try {
            tellSubscribersToReconnect();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: each subscriber once, however many streams it has. */
    private void tellSubscribersToReconnect() {
        Set<Subscriber> notified = Collections.newSetFromMap(new IdentityHashMap<>());
        for (StreamLog log : history.logs()) {
            for (Subscriber subscriber : log.subscriberSnapshot()) {
                if (notified.add(subscriber)) {
                    subscriber.onRelayClosing();
                }
            }
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
            return origins.head();
        } finally {
            lock.unlock();
        }
    }

    /** Brings the history within its budget, which counts the retired origins' records too. */
    private void enforceLimits() {
        history.enforceLimits(origins.retiredBytes());
    }

    public long retainedEvents() {
        return history.retainedEvents();
    }

    /** Heap of the retained events. */
    public long retainedBytes() {
        return history.retainedBytes();
    }

    /**
     * Heap the history's budget counts: retained events, the logs of the streams that hold
     * them, tombstones, and retired origins' records.
     */
    public long historyBytes() {
        return history.bytes() + origins.retiredBytes();
    }

    /** Streams holding retained events. */
    public long retainedStreams() {
        return history.retainedStreams();
    }

    /** Streams known now: those holding events and those with subscribers. */
    public int liveStreams() {
        return history.liveStreams();
    }

    /** Streams dropped while idle whose evictions are remembered one by one. */
    public int tombstones() {
        return history.tombstones();
    }

    /** Heap held by the tombstones. */
    public long tombstoneBytes() {
        return history.tombstoneBytes();
    }

    /** Origins this relay's ids name now: its own, its peers', and stopped relays' not yet retired. */
    public int idOrigins() {
        return origins.idOrigins();
    }

    /** Origins retired so far. */
    public long retiredOrigins() {
        return origins.retiredTotal();
    }

    public HistoryLimits limits() {
        return history.limits();
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
}
