package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.Message.Ack;
import io.sserelay.relay.cluster.Message.Committed;
import io.sserelay.relay.cluster.Message.Append;
import io.sserelay.relay.cluster.Message.Deliver;
import io.sserelay.relay.cluster.Message.Entries;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.Message.Forward;
import io.sserelay.relay.cluster.Message.Handover;
import io.sserelay.relay.cluster.Message.HandoverAck;
import io.sserelay.relay.cluster.Message.Interest;
import io.sserelay.relay.cluster.Message.MayRelease;
import io.sserelay.relay.cluster.Message.NeedSync;
import io.sserelay.relay.cluster.Message.NoInterest;
import io.sserelay.relay.cluster.Message.Published;
import io.sserelay.relay.cluster.Message.Refusal;
import io.sserelay.relay.cluster.Message.Refused;
import io.sserelay.relay.cluster.Message.Release;
import io.sserelay.relay.cluster.Message.Sync;
import io.sserelay.relay.cluster.Message.ViewIs;
import io.sserelay.relay.cluster.Message.ViewPull;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * One relay's side of the stream-ownership protocol (docs/stream-ownership.md):
 * it numbers the streams it owns, holds copies of the streams it replicates, forwards publishes
 * to their owners, keeps a committed copy of each stream its subscribers read, and hands its
 * copies to the new owners when the view changes.
 *
 * <p>A pure state machine: no sockets, threads or clocks. Its caller hands it views, messages,
 * publishes, subscriptions and the time, one at a time on one thread, and it answers through
 * {@link Transport}, {@link PublishCallback}s and {@link Subscriber}s. The deterministic
 * simulation drives it exactly as {@link ClusterRuntime} does on a relay, so a seed replays a run.
 */
public final class ClusterNode<P> {

    /** Sends an envelope to another relay; delivery may be late, lost or never, in any order. */
    public interface Transport {
        void send(String to, Envelope envelope);

        /** The relays of the view just adopted, members and leaving: what it keeps for others may go. */
        default void peersAre(Set<String> peers) {
        }

        /**
         * Everything sent so far should be on its way now. A transport may hold messages until
         * then, to send what one burst of work produced for a peer together; one that holds them
         * must still send them within a second if this is never called.
         */
        default void flush() {
        }
    }

    public interface PublishCallback {
        /** Committed, with these ids; {@code replayed}: by an earlier publish with the same key. */
        void published(List<EventId> ids, boolean replayed);

        /**
         * Not committed by this request: {@code code} and {@code reason} say why. For
         * {@link Refusal#TIMEOUT} nobody answered in time, and the events may yet be committed (as
         * when a publisher's connection breaks): a publisher that retries with its key learns which.
         */
        void refused(Refusal code, String reason);
    }

    public interface Subscriber<P> {
        void onEvent(String stream, Entry<P> entry);

        /** Live events in order, all that were committed since this subscriber was last handed any. */
        default void onEvents(String stream, List<Entry<P>> entries) {
            for (Entry<P> entry : entries) {
                onEvent(stream, entry);
            }
        }

        /**
         * Events this subscriber has not seen are lost; what follows continues the stream after
         * {@code resumeFrom}, the id it should resume from if it reconnects before the next event
         * (null: from the stream's first retained event).
         */
        void onReset(String stream, EventId resumeFrom);

        /**
         * Where a subscriber that started from now stands: after {@code at}, the stream's last
         * committed event when it started (null: before the stream's first event). Said once,
         * before any event.
         */
        default void onPosition(String stream, EventId at) {
        }

        /**
         * What the subscriber missed, all at once: when it subscribes, and after a wait or a
         * reset. Live events come in order as they are committed ({@link #onEvents}).
         */
        default void onCatchUp(String stream, List<Entry<P>> entries) {
            for (Entry<P> entry : entries) {
                onEvent(stream, entry);
            }
        }
    }

    /**
     * Timings in the caller's clock's milliseconds, and the retention per stream. With
     * {@code waitForReplica} false an owner commits a publish as soon as it numbers it, and its
     * replica follows when it can (the relay's {@code RELAY_PUBLISH_ACK=local}): faster, and an
     * event acknowledged just before its owner dies may be lost.
     */
    public record Settings(long ackTimeout, long forwardTimeout, long retransmitEvery, long interestTtl,
            long leavingTimeout, int maxEntries, int maxDeferred, boolean waitForReplica) {

        /** Settings whose owners wait for their replicas. */
        public Settings(long ackTimeout, long forwardTimeout, long retransmitEvery, long interestTtl,
                long leavingTimeout, int maxEntries, int maxDeferred) {
            this(ackTimeout, forwardTimeout, retransmitEvery, interestTtl, leavingTimeout, maxEntries, maxDeferred,
                    true);
        }
    }

    /**
     * How long and how much a relay keeps of the streams it holds, beside each copy's count:
     * entries published before {@code maxAgeMillis} ago go, then the oldest entries of any
     * stream until the copies' heap is within {@code maxBytes} (0: no bound of that kind), then
     * the streams with the oldest events, whole, until it holds at most {@code maxStreams} it
     * owns or keeps for others.
     * {@code heapBytes} and {@code publishedAtMillis} read a payload's size and wall-clock time.
     */
    public record Retention<P>(long maxAgeMillis, long maxBytes, int maxStreams, ToLongFunction<P> heapBytes,
            ToLongFunction<P> publishedAtMillis) {

        /** Without a bound on the streams held. */
        public Retention(long maxAgeMillis, long maxBytes, ToLongFunction<P> heapBytes,
                ToLongFunction<P> publishedAtMillis) {
            this(maxAgeMillis, maxBytes, Integer.MAX_VALUE, heapBytes, publishedAtMillis);
        }
    }

    /** What a relay holds after {@link #retain}: entries and their heap over every copy, the streams, and what went. */
    public record Retained(long entries, long bytes, int streams, long dropped, int forgotten) {
    }

    /** Set by {@link #stop()}: publishes are refused from then on. */
    private boolean stopped;
    /** Copies of idle streams forgotten since the relay started. */
    private long forgottenTotal;

    /** The retention the relay applies, once it first applied one; between its passes, arrivals are counted. */
    private Retention<P> retention;
    private Retained lastRetained = new Retained(0, 0, 0, 0, 0);
    private long arrivedBytes;

    /**
     * The longest a subscriber whose id comes from a view newer than its relay's waits for that
     * view (a forged id waits no longer), and how often a relay keeping a copy from an earlier
     * role asks whether it may go; both are at most the interest's lifetime.
     */
    static final long MAX_WAIT_FOR_NEWER_VIEW = 3_000;
    /** A leaving relay past its first deadline is waited for this part of the leaving timeout in each new view. */
    static final int LATE_LEAVING_GRACE_PARTS = 5;

    /** An entry's own heap beside its payload's: the entry, its id and its slot in a copy. */
    static final long ENTRY_OVERHEAD_BYTES = 72;
    /** A copy's own heap beside its events' and its name's (see {@link #streamBytes}). */
    static final long STREAM_OVERHEAD_BYTES = 400;

    private final String self;
    private final long incarnation;
    private final Settings settings;
    private final Transport transport;
    private final Random random;
    private final LongSupplier wallClockMicros;

    private View view;
    /** Streams this relay numbers now. */
    private final Map<String, Owned<P>> owned = new TreeMap<>();
    /** Copies held as replica, or left from an earlier role until they are handed over. */
    private final Map<String, StreamLog<P>> held = new TreeMap<>();
    /** For each held copy, the highest offset its owner is known to have numbered in the copy's epoch. */
    private final Map<String, Long> numberedSeen = new HashMap<>();
    /** Committed copies of the streams local subscribers read. */
    private final Map<String, StreamCache<P>> caches = new TreeMap<>();
    /** Caches with delivered publishes their readers have not been handed yet ({@link #flushReaders}). */
    private final List<StreamCache<P>> unresolved = new ArrayList<>();
    private final StreamCache.Node cacheNode = new StreamCache.Node() {
        @Override
        public long ask(String stream, EventId after) {
            if (view == null || view.members().isEmpty()) {
                return 0;
            }
            send(Placement.owner(view, stream), new Interest(stream, after, ++lastAsk));
            return lastAsk;
        }

        @Override
        public long nextAsk() {
            return lastAsk + 1;
        }

        @Override
        public long viewGeneration() {
            return view.generation();
        }

        @Override
        public long now() {
            return now;
        }

        @Override
        public long newerViewWait() {
            return Math.min(settings.interestTtl, MAX_WAIT_FOR_NEWER_VIEW);
        }
    };
    /** For each stream this relay owns or may own, the relays with subscribers of it, until when. */
    private final Map<String, Map<String, Long>> interest = new HashMap<>();
    private final Map<Long, Forwarding<P>> forwardings = new LinkedHashMap<>();
    private final Map<String, Long> incarnations = new HashMap<>();
    private final Map<String, Long> viewPulledAt = new HashMap<>();
    private final Map<String, Long> viewToldAt = new HashMap<>();
    private final ArrayDeque<Envelope> toSelf = new ArrayDeque<>();
    private Takeover<P> takeover;
    private final Map<String, Long> handoverAcked = new HashMap<>();
    /** For each peer, the last view in which it acknowledged this relay's handover; gone when it restarts. */
    private final Map<String, View> acknowledgedViews = new HashMap<>();
    /** When this relay last asked the owner whether a leftover copy may go, by stream. */
    private final Map<String, Long> releaseAskedAt = new HashMap<>();
    /** Weighs an entry for the retention's heap budget; one function, so that logs keep their sums. */
    private ToLongFunction<Entry<P>> weigher;
    /** For each relay leaving in the current view, until when it was first given to hand over. */
    private final Map<String, Long> leavingSince = new HashMap<>();
    private long handoverSentAt;
    private View previousView;
    private long nextRequestId;
    /** Questions to owners are numbered across all caches, so that no cache takes an answer meant for another. */
    private long lastAsk;
    private long now;

    /**
     * @param wallClockMicros the wall clock in microseconds since the epoch, read only where a
     *                        stream starts a line of its own ({@link EventId#lineStart})
     */
    public ClusterNode(String self, long incarnation, Settings settings, Transport transport, Random random,
            LongSupplier wallClockMicros) {
        this.self = self;
        this.wallClockMicros = wallClockMicros;
        this.incarnation = incarnation;
        this.settings = settings;
        this.transport = transport;
        this.random = random;
        // An owner answers a request by its number: a relay that restarted must not take an answer
        // meant for its predecessor as its own, so each process numbers from a random start.
        this.nextRequestId = random.nextLong() >>> 2;
        this.lastAsk = random.nextLong() >>> 2;
    }

    public String self() {
        return self;
    }

    public View view() {
        return view;
    }

    // ---- what the relay calls ----

    /** Adopts {@code next} if it is newer than the view this relay has. */
    public void onView(View next, long nowMillis) {
        now = nowMillis;
        adopt(next);
        drain();
    }

    public void onMessage(Envelope envelope, long nowMillis) {
        now = nowMillis;
        receive(envelope);
        drain();
    }

    public void tick(long nowMillis) {
        now = nowMillis;
        flushReaders();
        expireForwardings();
        Iterator<Map.Entry<String, Owned<P>>> streams = owned.entrySet().iterator();
        while (streams.hasNext()) {
            Map.Entry<String, Owned<P>> stream = streams.next();
            expirePending(stream.getKey(), stream.getValue());
            retransmit(stream.getKey(), stream.getValue());
        }
        if (takeover != null) {
            takeover.expireLeaving(now);
            expireDeferred();
            for (String silent : takeover.awaited) {
                if (!takeover.heardFrom.contains(silent)) {
                    tellView(silent); // so that a relay which missed this one's restart hands over again
                }
            }
        }
        if (view != null && now - handoverSentAt >= settings.retransmitEvery) {
            sendHandovers();
        }
        if (view != null) {
            // Every tick. Asking every 500 ms once made a simulation seed deliver events twice
            // after a reset; with resets that keep a reader's place (StreamCache), 12,000 seeds
            // pass that way too, but nothing measured needs the saving yet.
            askToRelease();
        }
        interest.values().removeIf(relays -> {
            relays.values().removeIf(expiry -> expiry < now);
            return relays.isEmpty();
        });
        for (StreamCache<P> cache : caches.values()) {
            if (now - cache.askedAt() >= settings.interestTtl / 3) {
                cache.askOwner();
            }
            if (cache.hasWaitingReaders()) {
                cache.resolve(-1); // a wait on a newer view ends in time
            }
        }
        activateIfReady();
        drain();
    }

    /**
     * Publishes {@code payloads} into {@code stream} through its owner, numbered together or not at
     * all; with an {@code Idempotency-Key} (and the digest of the request it came with; both null
     * for none). The callback hears the outcome exactly once.
     */
    public void publish(String stream, List<P> payloads, String key, String digest, long nowMillis,
            PublishCallback callback) {
        if (stopped) {
            callback.refused(Refusal.CLOSING, "the relay is shutting down");
            return;
        }
        now = nowMillis;
        long requestId = ++nextRequestId;
        Forwarding<P> forwarding = new Forwarding<>(stream, List.copyOf(payloads), key, digest, callback,
                now + settings.forwardTimeout);
        forwardings.put(requestId, forwarding);
        forward(requestId, forwarding);
        drain();
    }

    /**
     * Subscribes to {@code stream}: the subscriber gets every committed event after {@code after}
     * (null: from the stream's first event), then each new one, in the stream's order, or a reset
     * where that cannot be exact (as when retention has dropped some of what it asks for).
     */
    public void subscribe(String stream, EventId after, Subscriber<P> subscriber, long nowMillis) {
        now = nowMillis;
        cache(stream).add(subscriber, after, false);
        drain();
    }

    /**
     * Subscribes to {@code stream} from now: once this relay's copy of the stream is loaded, the
     * subscriber hears its place ({@link Subscriber#onPosition}), then gets each event after it.
     */
    public void subscribeFromNow(String stream, Subscriber<P> subscriber, long nowMillis) {
        now = nowMillis;
        cache(stream).add(subscriber, null, true);
        drain();
    }

    private StreamCache<P> cache(String stream) {
        return caches.computeIfAbsent(stream, name -> new StreamCache<>(name, settings.maxEntries, cacheNode));
    }

    public void unsubscribe(String stream, Subscriber<P> subscriber) {
        StreamCache<P> cache = caches.get(stream);
        if (cache != null && cache.remove(subscriber)) {
            caches.remove(stream);
            if (view != null && !view.members().isEmpty()) {
                // So that the owner stops sending it at once; if this is lost, the interest expires.
                send(Placement.owner(view, stream), new NoInterest(stream));
                drain();
            }
        }
    }

    /**
     * Applies {@code retention} to every copy this relay holds (as owner, replica, from an earlier
     * role, or for its subscribers), then forgets the streams left with nothing to keep: a stream
     * it owns whose copy is empty, with nothing pending and no relay interested, and a copy it
     * holds for another owner that is empty. A stream published to again after it was forgotten
     * starts a new line ({@link EventId#lineStart}), and a reader with an id of the old one gets a
     * {@code reset}. Committed entries only: a pending publish is never cut.
     */
    public Retained retain(Retention<P> retention, long wallClockMillis) {
        flushReaders(); // trimming must not take what a reader was not handed yet
        if (this.retention != retention || weigher == null) {
            weigher = entry -> heapOf(retention, entry);
        }
        this.retention = retention;
        List<Copy<P>> copies = new ArrayList<>();
        owned.forEach((stream, own) -> copies.add(new Copy<>(stream, own.log,
                () -> own.pending.isEmpty() && !interest.containsKey(stream))));
        held.forEach((stream, log) -> copies.add(new Copy<>(stream, log, () -> log.committedCount() == log.size())));
        caches.forEach((stream, cache) -> copies.add(new Copy<>(stream, cache.log(), () -> false)));
        long dropped = 0;
        if (retention.maxAgeMillis() > 0) {
            long expiredBefore = wallClockMillis - retention.maxAgeMillis();
            for (Copy<P> copy : copies) {
                dropped += copy.log.trimWhile(entry -> retention.publishedAtMillis().applyAsLong(entry.payload())
                        < expiredBefore);
            }
        }
        long entries = 0;
        long bytes = 0;
        for (Copy<P> copy : copies) {
            bytes += streamBytes(copy.stream);
            entries += copy.log.size();
            bytes += copy.log.weight(weigher); // kept by the log: this pass must not visit every entry
        }
        // Down to nine tenths of the budget, so that passes between the scheduled ones are rare.
        long target = retention.maxBytes() - retention.maxBytes() / 10;
        if (retention.maxBytes() > 0 && bytes > retention.maxBytes()) {
            PriorityQueue<Copy<P>> oldestFirst = new PriorityQueue<>(Comparator.comparingLong(
                    copy -> retention.publishedAtMillis().applyAsLong(copy.log.entries().get(0).payload())));
            copies.stream().filter(copy -> copy.log.committedCount() > 0).forEach(oldestFirst::add);
            while (bytes > target && !oldestFirst.isEmpty()) {
                Copy<P> copy = oldestFirst.poll();
                bytes -= heapOf(retention, copy.log.entries().get(0));
                copy.log.trimWhile(new FirstOnly<>());
                entries--;
                dropped++;
                if (copy.log.committedCount() > 0) {
                    oldestFirst.add(copy);
                } else if (copy.log.size() == 0 && copy.forgettable.getAsBoolean()) {
                    bytes -= streamBytes(copy.stream); // forgotten below
                }
            }
        }
        int over = owned.size() + held.size() - retention.maxStreams();
        if (over > 0) {
            // The streams with the oldest events go whole; those with pending publishes or readers stay.
            List<Copy<P>> forgettable = new ArrayList<>(copies.stream()
                    .filter(copy -> !caches.containsKey(copy.stream) && copy.forgettable.getAsBoolean()).toList());
            forgettable.sort(Comparator.comparingLong(copy -> copy.log.size() == 0 ? Long.MIN_VALUE
                    : retention.publishedAtMillis().applyAsLong(copy.log.entries().get(0).payload())));
            for (Copy<P> copy : forgettable.subList(0, Math.min(over, forgettable.size()))) {
                bytes -= copy.log.weight(weigher);
                entries -= copy.log.size();
                dropped += copy.log.trimWhile(entry -> true);
                bytes -= streamBytes(copy.stream);
            }
        }
        int forgotten = forgetIdle();
        forgottenTotal += forgotten;
        lastRetained = new Retained(entries, bytes, owned.size() + held.size() + caches.size(), dropped, forgotten);
        arrivedBytes = 0;
        return lastRetained;
    }

    /** One copy a relay holds, and whether its stream goes once the copy is empty. */
    private record Copy<P>(String stream, StreamLog<P> log, java.util.function.BooleanSupplier forgettable) {
    }

    /**
     * A copy's own heap beside its events': its log, list and key map, the role that holds it
     * (an owner's queue of pending publishes, a cache's readers), its entry in the relay's map, and
     * the stream's name. Measured with {@code MemoryBoundsTest}, a million streams of one event.
     */
    static long streamBytes(String stream) {
        return STREAM_OVERHEAD_BYTES + 40 + 2L * stream.length();
    }

    /** The heap the events a message carries would take in copies: what it may add to this relay's. */
    @SuppressWarnings("unchecked")
    private long bytesIn(Message message) {
        long bytes = 0;
        if (message instanceof Forward<?> forward) {
            for (Object payload : forward.payloads()) {
                bytes += ENTRY_OVERHEAD_BYTES + retention.heapBytes().applyAsLong((P) payload);
            }
        } else if (message instanceof Append<?> append) {
            bytes += entriesBytes((List<Entry<P>>) (List<?>) append.entries());
        } else if (message instanceof Deliver<?> deliver) {
            bytes += entriesBytes((List<Entry<P>>) (List<?>) deliver.entries());
        } else if (message instanceof Entries<?> entries) {
            bytes += entriesBytes((List<Entry<P>>) (List<?>) entries.entries());
        } else if (message instanceof Sync<?> sync) {
            bytes += entriesBytes(((StreamLog<P>) sync.log()).entries());
        } else if (message instanceof Handover<?> handover) {
            for (StreamLog<?> copy : handover.copies().values()) {
                bytes += entriesBytes(((StreamLog<P>) copy).entries());
            }
        }
        return bytes;
    }

    private long entriesBytes(List<Entry<P>> entries) {
        long bytes = 0;
        for (Entry<P> entry : entries) {
            bytes += heapOf(retention, entry);
        }
        return bytes;
    }

    private static <P> long heapOf(Retention<P> retention, Entry<P> entry) {
        return ENTRY_OVERHEAD_BYTES + retention.heapBytes().applyAsLong(entry.payload());
    }

    /** Takes the first entry only. */
    private static final class FirstOnly<P> implements Predicate<Entry<P>> {
        private boolean taken;

        @Override
        public boolean test(Entry<P> entry) {
            boolean first = !taken;
            taken = true;
            return first;
        }
    }

    private int forgetIdle() {
        int forgotten = 0;
        Iterator<Map.Entry<String, Owned<P>>> streams = owned.entrySet().iterator();
        while (streams.hasNext()) {
            Map.Entry<String, Owned<P>> stream = streams.next();
            Owned<P> own = stream.getValue();
            if (own.log.size() == 0 && own.pending.isEmpty() && !interest.containsKey(stream.getKey())) {
                streams.remove();
                forgotten++;
            }
        }
        Iterator<Map.Entry<String, StreamLog<P>>> copies = held.entrySet().iterator();
        while (copies.hasNext()) {
            Map.Entry<String, StreamLog<P>> copy = copies.next();
            if (copy.getValue().size() == 0) {
                copies.remove();
                numberedSeen.remove(copy.getKey());
                releaseAskedAt.remove(copy.getKey());
                forgotten++;
            }
        }
        return forgotten;
    }

    /** What the copies held after the last retention pass, scheduled or not. */
    public Retained lastRetained() {
        return lastRetained;
    }

    /** Copies of idle streams forgotten since the relay started. */
    public long forgottenTotal() {
        return forgottenTotal;
    }

    /**
     * The relay stops: every publish it still waits for is answered as unanswered, since its owner
     * may yet commit it (a retry with its key says which), and later publishes are refused.
     */
    public void stop() {
        stopped = true;
        List<Forwarding<P>> open = new ArrayList<>(forwardings.values());
        forwardings.clear();
        for (Forwarding<P> forwarding : open) {
            forwarding.callback.refused(Refusal.TIMEOUT, "the relay shut down before the publish was answered");
        }
    }

    /**
     * The relays this one still waits for before it numbers the streams it took over (their
     * handovers), empty when it waits for nobody; null before it has a view.
     */
    public List<String> awaitedHandovers() {
        if (view == null) {
            return null;
        }
        if (takeover == null || takeover.complete()) {
            return List.of();
        }
        return takeover.awaited.stream().filter(node -> !takeover.heardFrom.contains(node)).sorted().toList();
    }

    // ---- what the simulation's checker reads ----

    /** Every copy this relay holds of {@code stream}, for the checker's count of surviving copies. */
    public List<StreamLog<P>> copiesOf(String stream) {
        List<StreamLog<P>> copies = new ArrayList<>();
        Owned<P> own = owned.get(stream);
        if (own != null) {
            copies.add(own.log);
        }
        if (held.containsKey(stream)) {
            copies.add(held.get(stream));
        }
        if (caches.containsKey(stream)) {
            copies.add(caches.get(stream).log());
        }
        if (takeover != null && takeover.copies.containsKey(stream)) {
            copies.addAll(takeover.copies.get(stream).values());
        }
        return copies;
    }

    /** The streams this relay keeps copies of as replica or from earlier roles (not its caches). */
    public Set<String> keptCopies() {
        Set<String> streams = new HashSet<>(held.keySet());
        if (takeover != null) {
            streams.addAll(takeover.copies.keySet());
        }
        return streams;
    }

    /** The copy this relay holds of a stream as replica or from an earlier role, or null. */
    public StreamLog<P> heldLog(String stream) {
        return held.get(stream);
    }

    /** This relay's copy of a stream it owns, or null. */
    public StreamLog<P> ownedLog(String stream) {
        Owned<P> own = owned.get(stream);
        return own == null ? null : own.log;
    }

    // ---- views ----

    private void adopt(View next) {
        if (!next.isNewerThan(view)) {
            return;
        }
        View previous = view;
        view = next;
        boolean consecutive = previous != null && next.generation() == previous.generation() + 1;
        Iterator<Map.Entry<String, Owned<P>>> streams = owned.entrySet().iterator();
        while (streams.hasNext()) {
            Map.Entry<String, Owned<P>> entry = streams.next();
            String stream = entry.getKey();
            Owned<P> own = entry.getValue();
            if (consecutive && self.equals(Placement.owner(next, stream))) {
                own.replicaSynced = false; // the replica may have changed; a sync is cheap beside a lost copy
                continue;
            }
            refuseAllPending(own, Refusal.TIMEOUT, "the stream's owner changed before its replica confirmed the events");
            StreamLog<P> kept = own.log.copy();
            kept.truncateAfter(kept.lastCommitted());
            held.put(stream, kept);
            numberedSeen.remove(stream);
            streams.remove();
        }
        Takeover<P> earlier = takeover;
        takeover = new Takeover<>(next, self, leavingDeadlines(next));
        if (earlier != null) {
            takeover.inherit(earlier);
        }
        handoverAcked.clear();
        previousView = previous;
        forgetDepartedPeers();
        sendHandovers();
        caches.values().forEach(StreamCache::askOwner);
        activateIfReady();
    }

    /**
     * Until when this relay waits for each leaving relay of {@code next}: {@code leavingTimeout}
     * from the first view that listed it leaving, however many views follow (in a rolling update
     * they come every second or two, and a leaving relay that has stopped must not hold up the
     * streams it numbered for a fresh timeout with each); and at least a short grace in each new
     * view, in which a leaving relay that still runs hands over what it holds for that view's
     * owners.
     */
    private Map<String, Long> leavingDeadlines(View next) {
        leavingSince.keySet().retainAll(next.leaving());
        Map<String, Long> deadlines = new HashMap<>();
        for (String leaving : next.leaving()) {
            long first = leavingSince.computeIfAbsent(leaving, node -> now + settings.leavingTimeout);
            deadlines.put(leaving, Math.max(first, now + settings.leavingTimeout / LATE_LEAVING_GRACE_PARTS));
        }
        return deadlines;
    }

    /** What this relay keeps per peer goes with the peer, so that years of churn cost nothing. */
    private void forgetDepartedPeers() {
        Set<String> peers = new HashSet<>(view.members());
        peers.addAll(view.leaving());
        for (Map<String, ?> perPeer : List.of(incarnations, viewPulledAt, viewToldAt, acknowledgedViews)) {
            perPeer.keySet().retainAll(peers);
        }
        transport.peersAre(peers);
    }

    private void sendHandovers() {
        handoverSentAt = now;
        for (String member : view.members()) {
            if (member.equals(self)) {
                continue;
            }
            Long known = incarnations.get(member);
            Long acked = handoverAcked.get(member);
            if (acked != null && known != null && acked >= known) {
                continue;
            }
            Map<String, StreamLog<P>> copies = new TreeMap<>();
            for (String stream : streamsWithCopies()) {
                if (member.equals(Placement.owner(view, stream)) && mayNeedCopy(member, stream)) {
                    List<StreamLog<P>> mine = copiesOf(stream);
                    copies.put(stream, merged(mine));
                }
            }
            send(member, new Handover<>(known == null ? -1 : known, copies));
        }
    }

    /**
     * A copy kept from an earlier role goes once the stream's owner says its replica holds the
     * whole stream: until then it may be the one the next owner needs (if this one dies before
     * its replica is synced), and after it the two copies the protocol promises exist.
     */
    /** Asks the owners of streams this relay keeps copies of from earlier roles whether they may go. */
    private void askToRelease() {
        Set<String> leftovers = new HashSet<>(held.keySet());
        if (takeover != null) {
            leftovers.addAll(takeover.copies.keySet());
        }
        for (String stream : leftovers) {
            String owner = Placement.owner(view, stream);
            if (owner == null || owner.equals(self) || self.equals(Placement.replica(view, stream))
                    || !handoverAcked.containsKey(owner)) {
                continue; // it owns or replicates the stream, or the owner may still need this copy
            }
            Long asked = releaseAskedAt.get(stream);
            if (asked == null || now - asked >= Math.min(settings.interestTtl, MAX_WAIT_FOR_NEWER_VIEW)) {
                releaseAskedAt.put(stream, now);
                send(owner, new MayRelease(stream));
            }
        }
        releaseAskedAt.keySet().retainAll(leftovers);
    }

    private void onMayRelease(String from, MayRelease ask) {
        Owned<P> own = owned.get(ask.stream());
        if (own != null && own.replicaSynced && Placement.replica(view, ask.stream()) != null
                && !from.equals(Placement.replica(view, ask.stream()))) {
            send(from, new Release(ask.stream()));
        }
    }

    private void onRelease(String from, Release release) {
        String stream = release.stream();
        if (!from.equals(Placement.owner(view, stream)) || self.equals(Placement.replica(view, stream))) {
            return;
        }
        held.remove(stream);
        numberedSeen.remove(stream);
        if (takeover != null) {
            takeover.copies.remove(stream);
        }
    }

    /**
     * Whether the owner of {@code stream} may need this relay's copy: unless it owned the stream
     * in this relay's view just before this one and in the last view it acknowledged a handover
     * from this relay (so it has numbered the stream since, and has not restarted), it does.
     */
    private boolean mayNeedCopy(String owner, String stream) {
        View acknowledged = acknowledgedViews.get(owner);
        boolean keptOwning = previousView != null && view.generation() == previousView.generation() + 1
                && owner.equals(Placement.owner(previousView, stream))
                && acknowledged != null && owner.equals(Placement.owner(acknowledged, stream));
        return !keptOwning;
    }

    private Set<String> streamsWithCopies() {
        Set<String> streams = new HashSet<>(held.keySet());
        streams.addAll(caches.keySet());
        streams.addAll(owned.keySet());
        if (takeover != null) {
            streams.addAll(takeover.copies.keySet());
        }
        return streams;
    }

    // ---- receiving ----

    private void receive(Envelope envelope) {
        if (retention != null && retention.maxBytes() > 0) {
            arrivedBytes += bytesIn(envelope.body());
            if (lastRetained.bytes() + arrivedBytes > retention.maxBytes()) {
                retain(retention, wallClockMicros.getAsLong() / 1_000); // within the budget between passes too
            }
        }
        String from = envelope.from();
        Long known = incarnations.get(from);
        if (known != null && envelope.incarnation() < known) {
            return; // from a process of that relay that has since restarted
        }
        if (known == null || envelope.incarnation() > known) {
            incarnations.put(from, envelope.incarnation());
            if (known != null) {
                peerRestarted(from);
            }
        }
        if (view == null || envelope.generation() > view.generation()) {
            pullView(from);
        } else if (envelope.generation() < view.generation()) {
            tellView(from);
        }
        Message body = envelope.body();
        if (body instanceof ViewPull) {
            if (view != null) {
                send(from, new ViewIs(view));
            }
            return;
        }
        if (body instanceof ViewIs viewIs) {
            adopt(viewIs.view());
            return;
        }
        if (view == null) {
            return;
        }
        boolean sameView = envelope.generation() == view.generation();
        if (body instanceof Forward<?> forward) {
            onForward(from, cast(forward));
        } else if (body instanceof Published published) {
            Forwarding<P> forwarding = forwardings.remove(published.requestId());
            if (forwarding != null) {
                forwarding.callback.published(published.ids(), published.replayed());
            }
        } else if (body instanceof Refused refused) {
            onRefused(refused);
        } else if (body instanceof Append<?> append && sameView) {
            onAppend(from, cast(append));
        } else if (body instanceof Sync<?> sync && sameView) {
            onSync(from, cast(sync));
        } else if (body instanceof Ack ack && sameView) {
            onAck(from, ack);
        } else if (body instanceof NeedSync needSync && sameView) {
            Owned<P> own = owned.get(needSync.stream());
            if (own != null && from.equals(Placement.replica(view, needSync.stream()))) {
                sendSync(needSync.stream(), own);
            }
        } else if (body instanceof Handover<?> handover && sameView) {
            onHandover(from, envelope.incarnation(), cast(handover));
        } else if (body instanceof HandoverAck ack && sameView && ack.senderIncarnation() == incarnation) {
            handoverAcked.put(from, envelope.incarnation());
            acknowledgedViews.put(from, view);
        } else if (body instanceof Release release && sameView) {
            onRelease(from, release);
        } else if (body instanceof MayRelease ask && sameView) {
            onMayRelease(from, ask);
        } else if (body instanceof Committed committed && sameView) {
            onCommitted(from, committed);
        } else if (body instanceof Interest interest) {
            onInterest(from, envelope, interest);
        } else if (body instanceof NoInterest noInterest) {
            Map<String, Long> relays = interest.get(noInterest.stream());
            if (relays != null && relays.remove(from) != null && relays.isEmpty()) {
                interest.remove(noInterest.stream());
            }
        } else if (body instanceof Entries<?> entries && sameView) {
            onEntries(from, cast(entries));
        } else if (body instanceof Deliver<?> deliver && sameView) {
            onDeliver(from, cast(deliver));
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object message) {
        return (T) message;
    }

    private void peerRestarted(String peer) {
        for (Map.Entry<String, Owned<P>> stream : owned.entrySet()) {
            if (peer.equals(Placement.replica(view, stream.getKey()))) {
                stream.getValue().replicaSynced = false;
                sendSync(stream.getKey(), stream.getValue());
            }
        }
        handoverAcked.remove(peer);
        acknowledgedViews.remove(peer);
        if (view != null && takeover != null && takeover.generation == view.generation()
                && (view.hasMember(peer) || view.leaving().contains(peer))) {
            takeover.heardFrom.remove(peer); // what it handed over died with it; hear it again
        }
    }

    private void pullView(String from) {
        Long pulled = viewPulledAt.get(from);
        if (pulled == null || now - pulled >= settings.retransmitEvery) {
            viewPulledAt.put(from, now);
            send(from, new ViewPull());
        }
    }

    private void tellView(String to) {
        Long told = viewToldAt.get(to);
        if (told == null || now - told >= settings.retransmitEvery) {
            viewToldAt.put(to, now);
            send(to, new ViewIs(view));
        }
    }

    // ---- publishing ----

    private void forward(long requestId, Forwarding<P> forwarding) {
        if (view == null || view.members().isEmpty()) {
            forwarding.retryAt = now + settings.retransmitEvery;
            return;
        }
        String owner = Placement.owner(view, forwarding.stream);
        forwarding.retryAt = Long.MAX_VALUE;
        send(owner, new Forward<>(requestId, forwarding.stream, forwarding.payloads, forwarding.key,
                forwarding.digest, Math.max(0, forwarding.deadline - now - settings.retransmitEvery)));
    }

    private void onRefused(Refused refused) {
        Forwarding<P> forwarding = forwardings.get(refused.requestId());
        if (forwarding == null) {
            return;
        }
        if (refused.retry() && now + settings.retransmitEvery < forwarding.deadline) {
            forwarding.retryAt = now + settings.retransmitEvery;
        } else {
            forwardings.remove(refused.requestId());
            forwarding.callback.refused(refused.code() == Refusal.NOT_OWNER ? Refusal.TIMEOUT : refused.code(),
                    refused.reason());
        }
    }

    private void expireForwardings() {
        Iterator<Map.Entry<Long, Forwarding<P>>> all = forwardings.entrySet().iterator();
        List<Map.Entry<Long, Forwarding<P>>> retries = new ArrayList<>();
        while (all.hasNext()) {
            Map.Entry<Long, Forwarding<P>> entry = all.next();
            Forwarding<P> forwarding = entry.getValue();
            if (forwarding.deadline <= now) {
                all.remove();
                forwarding.callback.refused(Refusal.TIMEOUT, "the stream's owner did not answer in time");
            } else if (forwarding.retryAt <= now) {
                retries.add(entry);
            }
        }
        for (Map.Entry<Long, Forwarding<P>> retry : retries) {
            forward(retry.getKey(), retry.getValue());
        }
    }

    private void onForward(String from, Forward<P> forward) {
        String stream = forward.stream();
        if (!self.equals(Placement.owner(view, stream))) {
            send(from, new Refused(forward.requestId(), true, Refusal.NOT_OWNER, "not the stream's owner"));
            return;
        }
        Owned<P> own = activate(stream);
        if (own == null) {
            defer(from, forward, now + forward.budgetMillis());
            return;
        }
        if (forward.key() != null && answeredByKey(from, forward, own)) {
            return;
        }
        EventId prev = own.log.last();
        List<Entry<P>> entries = new ArrayList<>(forward.payloads().size());
        for (P payload : forward.payloads()) {
            Entry<P> entry = new Entry<>(new EventId(own.log.epoch(), own.nextOffset++), payload);
            own.log.append(entry);
            entries.add(entry);
        }
        List<EventId> ids = entries.stream().map(Entry::id).toList();
        KeyRecord key = forward.key() == null ? null : new KeyRecord(forward.key(), forward.digest(), ids);
        if (key != null) {
            own.log.putKey(key);
        }
        own.pending.add(new Batch<>(entries, prev, key, from, forward.requestId(),
                now + Math.min(settings.ackTimeout, forward.budgetMillis())));
        String replica = Placement.replica(view, stream);
        if (replica != null && own.replicaSynced) {
            send(replica, new Append<>(stream, entries, prev, own.log.lastCommitted(), key));
        } else if (replica != null) {
            sendSync(stream, own);
        }
        own.sentAt = now;
        if (replica == null || !settings.waitForReplica) {
            commit(stream, own, ids.get(ids.size() - 1));
        }
    }

    /** Answers a publish whose key the stream knows; false when it does not, and the publish goes ahead. */
    private boolean answeredByKey(String from, Forward<P> forward, Owned<P> own) {
        KeyRecord known = own.log.key(forward.key());
        if (known == null) {
            return false;
        }
        if (!known.digest().equals(forward.digest())) {
            send(from, new Refused(forward.requestId(), false, Refusal.KEY_REUSED,
                    "the Idempotency-Key was used for a different request"));
        } else if (own.log.isCommitted(known.last())) {
            send(from, new Published(forward.requestId(), known.ids(), true));
        } else {
            send(from, new Refused(forward.requestId(), false, Refusal.KEY_IN_USE,
                    "the Idempotency-Key's first publish is still waiting for its replica"));
        }
        return true;
    }

    private void onAck(String from, Ack ack) {
        Owned<P> own = owned.get(ack.stream());
        if (own == null || !from.equals(Placement.replica(view, ack.stream()))) {
            return;
        }
        if (!own.replicaSynced) {
            own.replicaSynced = true;
            for (String member : view.members()) {
                if (!member.equals(self) && !member.equals(from)) {
                    send(member, new Release(ack.stream()));
                }
            }
        }
        if (ack.through() != null) {
            commit(ack.stream(), own, ack.through());
        }
    }

    /**
     * Commits the pending publishes up to {@code through}, the last event of one of them: the
     * publishers get their ids, interested relays each publish's events.
     */
    private void commit(String stream, Owned<P> own, EventId through) {
        EventId prev = own.log.lastCommitted();
        if (own.log.commitThrough(through).isEmpty()) {
            return;
        }
        while (!own.pending.isEmpty() && own.pending.peekFirst().last().compareTo(through) <= 0) {
            Batch<P> batch = own.pending.pollFirst();
            send(batch.from, new Published(batch.requestId, batch.ids(), false));
            for (String node : interest.getOrDefault(stream, Map.of()).keySet()) {
                send(node, new Deliver<>(stream, batch.entries, prev, own.log.epoch(), batch.key));
            }
            prev = batch.last();
        }
        if (own.pending.isEmpty()) {
            own.committedAcked = false; // told once the stream has been quiet a while (retransmit)
        }
    }

    /** Tells the replica that nothing of the stream is pending, so that its copy is all committed too. */
    private void tellCommitted(String stream, Owned<P> own) {
        String replica = Placement.replica(view, stream);
        EventId through = own.log.lastCommitted();
        if (replica != null && through != null && own.replicaSynced) {
            own.committedAcked = false;
            send(replica, new Committed(stream, through));
        }
    }

    /** From the owner: its copy is committed through this; from the replica: so is the replica's now. */
    private void onCommitted(String from, Committed committed) {
        String stream = committed.stream();
        Owned<P> own = owned.get(stream);
        if (own != null && from.equals(Placement.replica(view, stream))) {
            if (own.pending.isEmpty() && committed.through().equals(own.log.lastCommitted())) {
                own.committedAcked = true;
            }
            return;
        }
        StreamLog<P> copy = held.get(stream);
        if (!isReplicaFor(from, stream) || copy == null || copy.indexOf(committed.through()) == -2) {
            return; // not its replica, or a copy that does not hold it: the next append or sync sets it right
        }
        copy.commitThrough(committed.through());
        send(from, new Committed(stream, committed.through()));
    }

    private void expirePending(String stream, Owned<P> own) {
        Batch<P> oldest = own.pending.peekFirst();
        if (oldest == null || oldest.deadline > now) {
            return;
        }
        refuseAllPending(own, Refusal.UNCONFIRMED, "no replica confirmed holding the events in time");
        own.log.truncateAfter(own.log.lastCommitted());
    }

    /** Refuses every publish still waiting; later ones come after the oldest, so they go too. */
    private void refuseAllPending(Owned<P> own, Refusal code, String reason) {
        for (Batch<P> batch : own.pending) {
            send(batch.from, new Refused(batch.requestId, false, code, reason));
        }
        own.pending.clear();
    }

    private void retransmit(String stream, Owned<P> own) {
        if (now - own.sentAt < settings.retransmitEvery || own.pending.isEmpty() && own.replicaSynced
                && own.committedAcked) {
            return; // the common case, decided before placing the stream
        }
        String replica = Placement.replica(view, stream);
        if (replica == null) {
            return;
        }
        if (own.pending.isEmpty() && own.replicaSynced) {
            // A busy stream's appends tell the replica what is committed; a quiet one's last publish
            // is told once the stream has been quiet for the interest's lifetime, and again until
            // the replica acknowledges it, so that the replica's copy can age out and be forgotten.
            if (!own.committedAcked && now - own.sentAt >= settings.interestTtl) {
                own.sentAt = now;
                tellCommitted(stream, own);
            }
            return;
        }
        own.sentAt = now;
        if (!own.replicaSynced) {
            sendSync(stream, own);
            return;
        }
        for (Batch<P> batch : own.pending) {
            send(replica, new Append<>(stream, batch.entries, batch.prev, own.log.lastCommitted(), batch.key));
        }
    }

    private void sendSync(String stream, Owned<P> own) {
        String replica = Placement.replica(view, stream);
        if (replica == null) {
            return;
        }
        own.sentAt = now;
        send(replica, new Sync<>(stream, own.log.copy(), own.nextOffset - 1));
    }

    // ---- replicating ----

    private boolean isReplicaFor(String from, String stream) {
        return self.equals(Placement.replica(view, stream)) && from.equals(Placement.owner(view, stream));
    }

    private void onAppend(String from, Append<P> append) {
        String stream = append.stream();
        if (!isReplicaFor(from, stream)) {
            return;
        }
        StreamLog<P> copy = held.get(stream);
        if (!follows(copy, append)) {
            send(from, new NeedSync(stream));
            return;
        }
        EventId last = append.entries().get(append.entries().size() - 1).id();
        if (copy.indexOf(last) < 0 && last.offset() <= numberedSeen.getOrDefault(stream, 0L)) {
            return; // an append the owner has given up since: it numbered later ones this copy holds
        }
        numberedSeen.merge(stream, last.offset(), Math::max);
        if (copy.indexOf(last) < 0) { // else a resent append, overtaken by later ones
            copy.truncateAfter(append.prev());
            for (Entry<P> entry : append.entries()) {
                copy.append(entry);
            }
            if (append.key() != null) {
                copy.putKey(append.key());
            }
        }
        if (append.committedThrough() != null) {
            copy.commitThrough(append.committedThrough());
        }
        send(from, new Ack(stream, last));
    }

    /** Whether the replica's copy holds what the owner's append follows, so that the two stay equal. */
    private static <P> boolean follows(StreamLog<P> copy, Append<P> append) {
        if (copy == null || append.entries().isEmpty()
                || copy.epoch() != append.entries().get(0).id().epoch()) {
            return false;
        }
        if (append.prev() == null) {
            return copy.committedCount() == 0 && copy.trimmedThrough() == null;
        }
        int index = copy.indexOf(append.prev());
        return index != -2 && index >= copy.committedCount() - 1;
    }

    private void onSync(String from, Sync<P> sync) {
        if (!isReplicaFor(from, sync.stream())) {
            return;
        }
        StreamLog<P> mine = held.get(sync.stream());
        EventId last = sync.log().last();
        boolean sameEpoch = mine != null && mine.epoch() == sync.log().epoch();
        if (sameEpoch && sync.numberedThrough() < numberedSeen.getOrDefault(sync.stream(), 0L)) {
            return; // taken before appends this copy already holds
        }
        if (sameEpoch && last != null && mine.indexOf(last) >= 0) {
            if (sync.log().lastCommitted() != null) {
                mine.commitThrough(sync.log().lastCommitted());
            }
            for (KeyRecord key : sync.log().keys()) {
                if (mine.key(key.key()) == null && mine.indexOf(key.last()) >= 0) {
                    mine.putKey(key);
                }
            }
        } else {
            held.put(sync.stream(), sync.log().copy());
        }
        numberedSeen.put(sync.stream(), sync.numberedThrough());
        send(from, new Ack(sync.stream(), last)); // for an empty copy too, or the owner would send it forever
    }

    // ---- taking over ----

    private void onHandover(String from, long fromIncarnation, Handover<P> handover) {
        if (handover.targetIncarnation() != incarnation && handover.targetIncarnation() != -1) {
            return; // meant for an earlier process of this relay
        }
        takeover.receive(from, handover.copies());
        send(from, new HandoverAck(fromIncarnation));
        activateIfReady();
    }

    private void defer(String from, Message message, long deadline) {
        if (takeover.deferred.size() >= settings.maxDeferred) {
            if (message instanceof Forward<?> forward) {
                send(from, new Refused(forward.requestId(), false, Refusal.TIMEOUT,
                        "the stream's owner is taking it over; too many publishes wait"));
            }
            return;
        }
        takeover.deferred.add(new Takeover.Deferred(new Envelope(from, incarnations.getOrDefault(from, 0L),
                view.generation(), message), deadline));
    }

    private void expireDeferred() {
        Iterator<Takeover.Deferred> items = takeover.deferred.iterator();
        while (items.hasNext()) {
            Takeover.Deferred item = items.next();
            if (item.deadline() <= now) {
                items.remove();
                if (item.envelope().body() instanceof Forward<?> forward) {
                    send(item.envelope().from(), new Refused(forward.requestId(), false, Refusal.TIMEOUT,
                            "the stream's owner is still taking it over"));
                }
            }
        }
    }

    private void activateIfReady() {
        if (takeover == null || !takeover.complete() || takeover.deferred.isEmpty()) {
            return;
        }
        List<Takeover.Deferred> deferred = new ArrayList<>(takeover.deferred);
        takeover.deferred.clear();
        for (Takeover.Deferred item : deferred) {
            Envelope envelope = item.envelope();
            if (envelope.body() instanceof Forward<?> forward) {
                // what the publisher still waits is what was left less the time it waited here
                envelope = new Envelope(envelope.from(), envelope.incarnation(), envelope.generation(),
                        new Forward<>(forward.requestId(), forward.stream(), forward.payloads(), forward.key(),
                                forward.digest(), Math.max(0, item.deadline() - now)));
            }
            toSelf.add(envelope);
        }
    }

    /** The stream as this relay numbers it, starting to number it if it may; null while it must wait. */
    private Owned<P> activate(String stream) {
        Owned<P> own = owned.get(stream);
        if (own != null) {
            return own;
        }
        if (takeover == null || !takeover.complete()) {
            return null;
        }
        List<StreamLog<P>> candidates = new ArrayList<>();
        if (held.containsKey(stream)) {
            candidates.add(held.get(stream));
        }
        if (caches.containsKey(stream)) {
            candidates.add(caches.get(stream).log());
        }
        candidates.addAll(takeover.copies.getOrDefault(stream, Map.of()).values());
        takeover.copies.remove(stream);
        StreamLog<P> log = candidates.isEmpty() ? new StreamLog<>(settings.maxEntries, 1) : merged(candidates);
        log.startEpoch(EventId.newEpoch(view.generation(), random.nextLong()));
        own = new Owned<>(log);
        EventId last = log.last();
        own.nextOffset = last == null ? EventId.lineStart(wallClockMicros.getAsLong()) : last.offset() + 1;
        owned.put(stream, own);
        held.remove(stream);
        numberedSeen.remove(stream);
        sendSync(stream, own);
        return own;
    }

    /**
     * The copy that reaches furthest along the newest line of epochs, all of it counted as
     * committed, with the keys any of the copies holds for its events (a subscriber's cache holds
     * none, and may reach as far as the replica's copy).
     */
    static <P> StreamLog<P> merged(List<StreamLog<P>> copies) {
        StreamLog<P> merged = best(copies).copyAllCommitted();
        for (StreamLog<P> copy : copies) {
            for (KeyRecord key : copy.keys()) {
                int index = merged.indexOf(key.last());
                if (index >= 0 && merged.key(key.key()) == null) {
                    merged.putKey(key);
                }
            }
        }
        return merged;
    }

    /** Of several copies of a stream, the one that reaches furthest along the newest line of epochs. */
    static <P> StreamLog<P> best(List<StreamLog<P>> copies) {
        StreamLog<P> best = null;
        for (StreamLog<P> copy : copies) {
            if (best == null || laterThan(copy.last(), best.last())) {
                best = copy;
            }
        }
        return best;
    }

    private static boolean laterThan(EventId a, EventId b) {
        if (b == null) {
            return a != null;
        }
        if (a == null) {
            return false;
        }
        long byGeneration = EventId.generationOf(a.epoch()) - EventId.generationOf(b.epoch());
        return byGeneration != 0 ? byGeneration > 0 : a.offset() > b.offset();
    }

    // ---- subscribers ----

    private void onInterest(String from, Envelope envelope, Interest interest) {
        String stream = interest.stream();
        if (!self.equals(Placement.owner(view, stream))) {
            return; // it asks again once it knows the owner
        }
        Owned<P> own = owned.get(stream);
        if (own == null && (takeover == null || !takeover.complete())) {
            defer(from, interest, now + settings.interestTtl);
            return;
        }
        this.interest.computeIfAbsent(stream, name -> new TreeMap<>()).put(from, now + settings.interestTtl);
        if (own == null && !hasCopyToContinue(stream)) {
            // A stream nobody has published to (or one forgotten): nothing to number yet, and
            // nothing to keep for it but the interest, so that its first events reach this reader.
            send(from, new Entries<>(stream, interest.ask(), interest.after(), true, 0, null, List.of(), List.of()));
            return;
        }
        Owned<P> numbered = own != null ? own : activate(stream);
        answer(from, interest, numbered);
    }

    /** The owner's answer to an interest: what follows the asker's place, or all it retains. */
    private void answer(String from, Interest interest, Owned<P> own) {
        String stream = interest.stream();
        List<Entry<P>> after = interest.after() == null ? null : own.log.committedAfter(interest.after());
        boolean replace = after == null;
        List<Entry<P>> entries = replace ? own.log.committedAfter(null) : after;
        EventId first = entries.isEmpty() ? null : entries.get(0).id();
        List<KeyRecord> keys = first == null ? List.of() : own.log.keys().stream()
                .filter(key -> key.last().compareTo(first) >= 0 && own.log.isCommitted(key.last())).toList();
        send(from, new Entries<>(stream, interest.ask(), interest.after(), replace, own.log.epoch(),
                own.log.trimmedThrough(), entries, keys));
    }

    /** Whether this relay holds anything of {@code stream} that a line of it must continue from. */
    private boolean hasCopyToContinue(String stream) {
        StreamLog<P> replica = held.get(stream);
        StreamCache<P> cache = caches.get(stream);
        return replica != null && !replica.isEmpty() || cache != null && !cache.log().isEmpty()
                || takeover != null && takeover.copies.containsKey(stream);
    }

    private void onEntries(String from, Entries<P> entries) {
        StreamCache<P> cache = caches.get(entries.stream());
        if (cache != null && from.equals(Placement.owner(view, entries.stream()))) {
            cache.answered(entries);
        }
    }

    private void onDeliver(String from, Deliver<P> deliver) {
        StreamCache<P> cache = caches.get(deliver.stream());
        if (cache != null && from.equals(Placement.owner(view, deliver.stream())) && cache.delivered(deliver)) {
            unresolved.add(cache);
        }
    }

    /**
     * Hands local subscribers the publishes delivered since the last call. Deliveries are
     * appended to a stream's copy as they arrive and handed on here, so that a burst of publishes
     * into a stream costs each of its subscribers one hand-off rather than one per publish. The
     * runtime calls this whenever its thread has no step left (and at least every few dozen
     * steps); ticks and retention passes call it first.
     */
    public void flushReaders() {
        if (unresolved.isEmpty()) {
            return;
        }
        List<StreamCache<P>> caches = List.copyOf(unresolved);
        unresolved.clear();
        for (int i = 0; i < caches.size(); i++) {
            try {
                caches.get(i).resolveDelivered();
            } catch (RuntimeException e) {
                unresolved.addAll(caches.subList(i + 1, caches.size())); // the others are still handed theirs
                throw e;
            }
        }
    }

    // ---- plumbing ----

    private void send(String to, Message message) {
        Envelope envelope = new Envelope(self, incarnation, view == null ? 0 : view.generation(), message);
        if (to.equals(self)) {
            toSelf.add(envelope);
        } else {
            transport.send(to, envelope);
        }
    }

    private void drain() {
        Envelope next;
        while ((next = toSelf.poll()) != null) {
            receive(next);
        }
    }

    private static final class Owned<P> {
        final StreamLog<P> log;
        /** The publishes numbered but not yet committed, in order: the pending part of the log, whole. */
        final ArrayDeque<Batch<P>> pending = new ArrayDeque<>();
        long nextOffset;
        boolean replicaSynced;
        /** Whether the replica acknowledged that nothing is pending (see {@link Committed}). */
        boolean committedAcked = true;
        long sentAt;

        Owned(StreamLog<P> log) {
            this.log = log;
        }
    }

    /** One publish's events as the owner replicates them, and who waits for the answer. */
    private record Batch<P>(List<Entry<P>> entries, EventId prev, KeyRecord key, String from, long requestId,
            long deadline) {
        EventId last() {
            return entries.get(entries.size() - 1).id();
        }

        List<EventId> ids() {
            return entries.stream().map(Entry::id).toList();
        }
    }

    private static final class Forwarding<P> {
        final String stream;
        final List<P> payloads;
        final String key;
        final String digest;
        final PublishCallback callback;
        final long deadline;
        long retryAt = Long.MAX_VALUE;

        Forwarding(String stream, List<P> payloads, String key, String digest, PublishCallback callback,
                long deadline) {
            this.stream = stream;
            this.payloads = payloads;
            this.key = key;
            this.digest = digest;
            this.callback = callback;
            this.deadline = deadline;
        }
    }

}
