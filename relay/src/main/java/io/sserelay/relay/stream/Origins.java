package io.sserelay.relay.stream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The relay's position ({@link #head()}) and what it knows of every origin its ids name or
 * once named, and so how it reads a position a reader brings.
 *
 * <p>Ids name this relay's origin, the peers its links follow, and relays that stopped until
 * they are <em>retired</em>: once no relay can still retain their events (silent for the
 * history's maximum age), or at once beyond {@link #MAX_STOPPED}. A retired origin leaves the
 * ids; its last sequence number is kept, so an old id that names it is still read exactly, and
 * the {@linkplain Position#horizon() horizon} ids carry tells a reader that never saw it from
 * one that saw all of it.
 *
 * <p>Not thread-safe: the {@link StreamHub} calls it under its lock.
 */
final class Origins {

    /**
     * The most origins of stopped relays whose events ids still mention. Beyond it, the one
     * silent longest is retired at once: its events leave the history (resumes from before them
     * get a {@code reset}), so ids stay within {@link Position#MAX_ENTRIES} however often relays
     * restart.
     */
    static final int MAX_STOPPED = 64;
    /** The most retired origins remembered; see {@link #retired}. */
    static final int MAX_RETIRED = 4096;

    private final String own;
    private final History history;
    private final LongConsumer horizonRaised;
    /** The other origins in {@link #head}: when each was last heard from. */
    private final Map<String, OriginState> foreign = new HashMap<>();
    /**
     * Origins that left {@link #head}, oldest first, with the last sequence number applied and
     * when the origin started. Ids given out since no longer name them; this is what still reads
     * ids exactly.
     */
    private final LinkedHashMap<String, RetiredOrigin> retired = new LinkedHashMap<>();
    /** The origin each peer link last said hello with: those relays are running, or may be. */
    private final Map<Object, String> claims = new HashMap<>();
    private Position head;
    /** The latest start among the retired origins whose start is known: the horizon of {@link #head}. */
    private long horizon;
    /**
     * Long.MAX_VALUE once an origin with events but an unknown start (a peer of an earlier
     * version) was retired: no horizon covers it, so readers that do not name it are checked.
     */
    private long latestUnknownStartRetired;
    private long adopted;

    // Written only under the hub's lock; volatile so that metrics can read them without it.
    /** Heap of the retired origins' records, which the history's budget counts. */
    private volatile long retiredBytes;
    private volatile long retiredTotal;
    private volatile int idOrigins = 1;

    /**
     * @param horizonRaised hears each rise of the horizon, so that followers can be told
     */
    Origins(String own, History history, LongConsumer horizonRaised) {
        this.own = own;
        this.history = history;
        this.horizonRaised = horizonRaised;
        this.head = Position.of(own, 0);
    }

    /** The relay's position: every event it has accepted or applied. */
    Position head() {
        return head;
    }

    /** The head after this relay's own event {@code seq}. */
    Position advanceOwn(long seq) {
        head = head.with(own, seq);
        return head;
    }

    /** The head after {@code o}'s event {@code seq}, applied from a peer at {@code nowNanos}. */
    Position advance(String o, long seq, long nowNanos) {
        OriginState state = known(o, 0, nowNanos);
        state.lastHeardNanos = nowNanos;
        setHead(head.with(o, seq));
        return head;
    }

    /** The highest sequence number of {@code o} applied here, also once it is retired. */
    long applied(String o) {
        RetiredOrigin record = retired.get(o);
        return record != null ? record.lastSeq : head.seqOf(o);
    }

    /**
     * {@code position} as this relay reads it: without the origins it has retired, and with
     * every origin it still names that the position does not name but covers by its horizon
     * (the reader came from a relay that retired it) at this relay's sequence number. The
     * result is {@code position} itself when nothing changed.
     */
    Position read(Position position) {
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
    boolean missedRetired(Position position) {
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

    /** Whether {@code position} has seen events of an origin other than this relay's. */
    boolean namesOthers(Position position) {
        for (int i = 0; i < position.size(); i++) {
            if (!position.origin(i).equals(own) && position.seq(i) > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * A peer link follows {@code o} now (it said hello with it), replacing what the link
     * followed before. Ids name the origin from now on, so a reader that never saw it is never
     * taken for one that saw all of it.
     */
    void claim(Object link, String o, long startedAt, long nowNanos) {
        claims.put(link, o);
        OriginState state = known(o, startedAt, nowNanos);
        if (state.lastHeardNanos - nowNanos < 0) {
            state.lastHeardNanos = nowNanos;
        }
        retireStoppedBeyondLimit();
    }

    /** The link stopped: the origin it followed is no longer known to be running. */
    void release(Object link) {
        claims.remove(link);
        retireStoppedBeyondLimit();
    }

    /** Raises the horizon (see {@link Position#horizon()}) to {@code seconds} when that is higher. */
    void raiseHorizon(long seconds) {
        if (seconds > horizon) {
            horizon = seconds;
            head = head.withHorizon(seconds);
            horizonRaised.accept(seconds);
        }
    }

    long horizon() {
        return horizon;
    }

    /** The origins this relay knows that no link follows and that it has not retired. */
    List<StoppedOrigin> stopped(long nowNanos) {
        if (foreign.isEmpty()) {
            return List.of();
        }
        Set<String> running = new HashSet<>(claims.values());
        List<StoppedOrigin> stopped = new ArrayList<>();
        foreign.forEach((o, state) -> {
            if (!running.contains(o) && head.seqOf(o) > 0) {
                long silentFor = Math.max(0, TimeUnit.NANOSECONDS.toMillis(nowNanos - state.lastHeardNanos));
                stopped.add(new StoppedOrigin(o, head.seqOf(o), state.startedAt, silentFor));
            }
        });
        return stopped;
    }

    /**
     * Of the stopped origins a peer knows, those this relay learns: not its own, not retired or
     * covered by its horizon, not followed here, none of whose events are here, and known to
     * the peer beyond what this relay names. Each is named from now on at the peer's sequence
     * number, silent for as long as the peer says (so it retires on time here too), and its
     * events up to that number are recorded as lost on every stream, since this relay never had
     * them. Returns what was learned, for the hub to tell the subscribers waiting for them.
     */
    List<StoppedOrigin> adopt(List<StoppedOrigin> known, long nowNanos) {
        Set<String> running = new HashSet<>(claims.values());
        List<StoppedOrigin> learned = new ArrayList<>();
        for (StoppedOrigin stopped : known) {
            String o = stopped.origin();
            boolean covered = stopped.startedAt() > 0 && stopped.startedAt() <= horizon;
            if (o.equals(own) || retired.containsKey(o) || covered || stopped.lastSeq() <= head.seqOf(o)) {
                continue;
            }
            OriginState state = foreign.get(o);
            if (state != null && (running.contains(o) || history.retainedOf(o) > 0)) {
                continue; // followed here, or its events are here: this relay knows better
            }
            if (state == null) {
                state = known(o, stopped.startedAt(), nowNanos);
                adopted++;
            }
            long heardNanos = nowNanos - TimeUnit.MILLISECONDS.toNanos(stopped.silentForMillis());
            if (heardNanos - state.lastHeardNanos < 0) {
                state.lastHeardNanos = heardNanos;
            }
            setHead(head.with(o, stopped.lastSeq()));
            history.lostEverywhere(o, stopped.lastSeq());
            learned.add(stopped);
        }
        retireStoppedBeyondLimit();
        return learned;
    }

    /** Origins learned from peers rather than followed ({@link #adopt}). */
    long adopted() {
        return adopted;
    }

    /**
     * Retires every origin that no link follows, that has nothing left in the history, and that
     * has been silent for the history's maximum age: no relay can still hold its events, so ids
     * stop naming it. Then keeps at most {@link #MAX_STOPPED} stopped origins.
     */
    void retireSilent(long nowNanos) {
        if (foreign.isEmpty()) {
            return;
        }
        Set<String> running = new HashSet<>(claims.values());
        long maxAgeNanos = history.limits().maxAge().toNanos();
        List<String> due = new ArrayList<>();
        foreign.forEach((o, state) -> {
            if (!running.contains(o) && history.retainedOf(o) == 0 && nowNanos - state.lastHeardNanos > maxAgeNanos) {
                due.add(o);
            }
        });
        due.forEach(this::retire);
        retireStoppedBeyondLimit();
    }

    /** Keeps at most {@link #MAX_STOPPED} origins that no link follows in {@link #head}. */
    private void retireStoppedBeyondLimit() {
        if (foreign.size() <= MAX_STOPPED) {
            return;
        }
        Set<String> running = new HashSet<>(claims.values());
        List<Map.Entry<String, OriginState>> stopped = new ArrayList<>();
        for (Map.Entry<String, OriginState> entry : foreign.entrySet()) {
            if (!running.contains(entry.getKey())) {
                stopped.add(entry);
            }
        }
        if (stopped.size() <= MAX_STOPPED) {
            return;
        }
        stopped.sort(Comparator.comparingLong(e -> e.getValue().lastHeardNanos));
        List<String> early = new ArrayList<>();
        for (int i = 0; i < stopped.size() - MAX_STOPPED; i++) {
            early.add(stopped.get(i).getKey());
        }
        for (String o : early) {
            history.evictOrigin(o);
            retire(o);
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
        setHead(head.without(o));
        raiseHorizon(state.startedAt);
        while (retired.size() > MAX_RETIRED) {
            removeRetired(retired.keySet().iterator().next());
        }
        history.purge(o);
    }

    private RetiredOrigin removeRetired(String o) {
        RetiredOrigin record = retired.remove(o);
        if (record != null) {
            retiredBytes -= HeapCost.RETIRED_ORIGIN;
        }
        return record;
    }

    /** The state of {@code o}, which ids name from now on. */
    private OriginState known(String o, long startedAt, long nowNanos) {
        OriginState state = foreign.get(o);
        if (state == null) {
            // A retired origin comes back when its relay left the peer set and returned.
            RetiredOrigin record = removeRetired(o);
            state = new OriginState(startedAt > 0 ? startedAt : record == null ? 0 : record.startedAt, nowNanos);
            foreign.put(o, state);
            setHead(head.with(o, record == null ? 0 : record.lastSeq));
        } else if (startedAt > 0) {
            state.startedAt = startedAt;
        }
        return state;
    }

    private void setHead(Position position) {
        head = position;
        idOrigins = position.size();
    }

    /** Heap of the retired origins' records. */
    long retiredBytes() {
        return retiredBytes;
    }

    /** Origins retired so far. */
    long retiredTotal() {
        return retiredTotal;
    }

    /** Origins the ids name now. */
    int idOrigins() {
        return idOrigins;
    }

    /** What is tracked of another origin while ids name it. */
    private static final class OriginState {
        /** When the origin's relay started, seconds since the epoch; 0 when not known. */
        long startedAt;
        long lastHeardNanos;

        OriginState(long startedAt, long lastHeardNanos) {
            this.startedAt = startedAt;
            this.lastHeardNanos = lastHeardNanos;
        }
    }

    /** A retired origin: its last sequence number here, and when it started (0: not known). */
    private record RetiredOrigin(long lastSeq, long startedAt) {
    }
}
