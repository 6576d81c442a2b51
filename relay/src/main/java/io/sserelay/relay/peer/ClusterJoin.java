package io.sserelay.relay.peer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Whether a clustered relay has joined its cluster, which is when it may report ready and take
 * traffic (docs/clustering.md, "Joining"): it has read its peer set, it follows every peer that
 * answers, every such peer follows it, and, when publishes are replicated, a peer stands ready to
 * acknowledge them. Peers nothing answers for (a pod still starting, a dead address) or that say
 * they are shutting down are not waited for; they follow once they are up, as their own join
 * requires. When no peer answers at all, the relay joins as if alone. Once joined, a relay stays
 * joined: a peer lost later must not take every other relay out of its Service with it.
 *
 * <p>{@link #ready} is called by readiness probes (workers) and {@link #report} by a scheduler
 * thread; the state is a volatile latch.
 */
public final class ClusterJoin {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterJoin.class);
    /** How long a relay waits to join before it says in its log why, and how often it says it again. */
    static final Duration REPORT_EVERY = Duration.ofSeconds(10);

    /** Where the relay is on its way into the cluster. */
    public enum State {
        READING_PEER_SET, CONNECTING, JOINED
    }

    /** What the relay sees of its cluster at one moment. */
    record View(boolean peerSetRead, Map<PeerAddress, PeerLink.Contact> contacts, Set<PeerAddress> followers,
            boolean acknowledgerFollows) {
    }

    private final Supplier<View> view;
    private final boolean replicated;
    private final LongSupplier nanoClock;
    private final long startedNanos;
    private volatile State state = State.READING_PEER_SET;
    private long lastReportNanos;

    /** @param replicated whether publishes wait for a peer's acknowledgement (RELAY_PUBLISH_ACK=replicated) */
    public ClusterJoin(PeerSource source, PeerMesh mesh, boolean replicated) {
        this(() -> new View(source.ready(), mesh.contacts(), mesh.followerAddresses(), mesh.acknowledgerFollows()),
                replicated, System::nanoTime);
    }

    ClusterJoin(Supplier<View> view, boolean replicated, LongSupplier nanoClock) {
        this.view = view;
        this.replicated = replicated;
        this.nanoClock = nanoClock;
        this.startedNanos = nanoClock.getAsLong();
    }

    /** Whether the relay has joined; checks again, and latches, when it has not yet. */
    public boolean ready() {
        if (state == State.JOINED) {
            return true;
        }
        return waitingFor().isEmpty();
    }

    public State state() {
        return state;
    }

    /** What the relay still waits for, each a sentence; empty once it has joined. */
    public synchronized List<String> waitingFor() {
        if (state == State.JOINED) {
            return List.of();
        }
        View now = view.get();
        List<String> missing = missing(now, replicated);
        if (missing.isEmpty()) {
            state = State.JOINED;
            LOG.info("joined the cluster after {} ms", Duration.ofNanos(nanoClock.getAsLong() - startedNanos).toMillis());
        } else if (now.peerSetRead()) {
            state = State.CONNECTING;
        }
        return missing;
    }

    /** Scheduler thread: says in the log why the relay is not ready, once it has waited {@link #REPORT_EVERY}. */
    public void report() {
        List<String> missing = waitingFor();
        if (!missing.isEmpty() && reportDue()) {
            LOG.warn("not ready after {} s: waiting for {}",
                    Duration.ofNanos(nanoClock.getAsLong() - startedNanos).toSeconds(), String.join("; ", missing));
        }
    }

    /** Whether a report of what the relay waits for is due now: every {@link #REPORT_EVERY} until it joins. */
    synchronized boolean reportDue() {
        long now = nanoClock.getAsLong();
        if (state == State.JOINED || now - startedNanos < REPORT_EVERY.toNanos()
                || lastReportNanos != 0 && now - lastReportNanos < REPORT_EVERY.toNanos()) {
            return false;
        }
        lastReportNanos = now;
        return true;
    }

    static final String PEER_SET_UNREAD = "the peer set (the SseRelay's status) to be read";

    /** The rule, on one view: what keeps the relay out, or nothing. */
    static List<String> missing(View view, boolean replicated) {
        if (!view.peerSetRead()) {
            return List.of(PEER_SET_UNREAD);
        }
        List<String> missing = new ArrayList<>();
        int awaited = 0;
        List<Map.Entry<PeerAddress, PeerLink.Contact>> peers = new ArrayList<>(view.contacts().entrySet());
        peers.sort(Comparator.comparing(peer -> peer.getKey().toString()));
        for (Map.Entry<PeerAddress, PeerLink.Contact> peer : peers) {
            PeerLink.Contact contact = peer.getValue();
            if (contact == PeerLink.Contact.UNREACHABLE || contact == PeerLink.Contact.SHUTTING_DOWN) {
                continue;
            }
            awaited++;
            boolean follows = contact == PeerLink.Contact.FOLLOWING;
            boolean followed = view.followers().contains(peer.getKey());
            if (!follows || !followed) {
                missing.add("peer " + peer.getKey() + " ("
                        + (follows ? "it does not follow this relay yet"
                                : followed ? "this relay does not follow it yet"
                                : "neither follows the other yet")
                        + (contact == PeerLink.Contact.NOT_TRIED ? "; not contacted yet" : "") + ")");
            }
        }
        // With no peer answering, the relay is as good as alone: it takes traffic, and answers
        // publishes 503 until a peer follows it, rather than keeping its subscribers out too.
        if (missing.isEmpty() && replicated && awaited > 0 && !view.acknowledgerFollows()) {
            missing.add("a peer that acknowledges publishes (replicated acknowledgement); none of the peers that"
                    + " answer does");
        }
        return missing;
    }
}
