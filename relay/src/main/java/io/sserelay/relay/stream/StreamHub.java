package io.sserelay.relay.stream;

import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The relay's event log and fan-out: numbers accepted events, keeps each stream's history
 * within {@link HistoryLimits}, computes what a resuming subscriber missed, and hands every
 * event to the subscribers of its stream.
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
    private final Map<String, StreamLog> logs = new HashMap<>();
    /** Retained events of all streams in acceptance order; entries marked evicted are skipped. */
    private final ArrayDeque<Event> retained = new ArrayDeque<>();
    /** Eviction watermarks of streams that were dropped while idle; new streams start from them. */
    private final Map<String, Long> forgotten = new HashMap<>();

    private long lastSeq;
    private long lastIndex;
    private Position head;
    private long staleInRetained;
    private boolean closing;

    // Written only under the lock; volatile so that metric gauges can read them without it.
    private volatile long retainedEvents;
    private volatile long retainedBytes;
    private volatile long resets;
    private volatile long accepted;

    public StreamHub(String origin, HistoryLimits limits) {
        if (!Position.isValidOrigin(origin)) {
            throw new IllegalArgumentException("invalid origin id: " + origin);
        }
        this.origin = origin;
        this.limits = limits;
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
                Event event = new Event(request.stream(), origin, seq, ++lastIndex, request.type(), request.data(),
                        head, acceptedNanos);
                StreamLog log = logFor(request.stream());
                retain(log, event);
                for (Subscriber subscriber : log.subscribers) {
                    subscriber.onEvent(event);
                }
                dropIfIdle(log);
                events.add(event);
            }
            accepted = lastSeq;
            enforceByteLimit();
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
            for (String stream : streams) {
                StreamLog log = logFor(stream);
                subscribed.add(log);
                if (from != null) {
                    if (log.hasGapAfter(from)) {
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
            subscriber.onCatchUp(new CatchUp(from != null, Collections.unmodifiableList(resetStreams),
                    Collections.unmodifiableList(replay), head));
            for (StreamLog log : subscribed) {
                log.subscribers.add(subscriber);
            }
        } finally {
            lock.unlock();
        }
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
        } finally {
            lock.unlock();
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
        } finally {
            lock.unlock();
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

    public long retainedBytes() {
        return retainedBytes;
    }

    /** Subscriptions that were told their position is older than the history. */
    public long resets() {
        return resets;
    }

    /** Events accepted from publishers on this relay. */
    public long accepted() {
        return accepted;
    }

    private StreamLog logFor(String stream) {
        StreamLog log = logs.get(stream);
        if (log == null) {
            log = new StreamLog(stream, forgotten);
            logs.put(stream, log);
        }
        return log;
    }

    private void retain(StreamLog log, Event event) {
        if (limits.maxEventsPerStream() == 0) {
            log.recordEvicted(event);
            return;
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

    private void enforceByteLimit() {
        while (retainedBytes > limits.maxBytes() && !retained.isEmpty()) {
            evictOldest();
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
            log.evictedUpTo.forEach((o, seq) -> forgotten.merge(o, seq, Math::max));
        }
    }
}
