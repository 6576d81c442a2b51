package io.sserelay.relay.peer;

import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.replication.IdempotencyKeys;
import io.sserelay.relay.stream.StreamHub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This relay's place in the cluster: one {@link PeerLink} following each peer in the current
 * peer set, and the {@link PeerStream}s of the peers following this relay. When the set
 * changes, links to new peers start, links to removed peers stop, and removed peers'
 * streams are closed, so that no traffic flows to a relay that is no longer a peer.
 *
 * <p>A follow request from a relay not in the set may wait for the set to change
 * ({@link #awaitChange}): relays read the set each in its own time (docs/clustering.md#joining).
 *
 * <p>Threads: the peer source calls {@link #update} on its own thread; the peer handler
 * registers streams on IO threads. Link changes are serialised by this object's monitor;
 * the peer set and a snapshot of the links are published through volatile fields for the IO
 * threads, which never wait for the monitor.
 */
public final class PeerMesh implements AutoCloseable {

    /** Follow requests from relays outside the peer set that may wait for it to change at once. */
    static final int MAX_WAITING_STRANGERS = 64;

    private static final Logger LOG = LoggerFactory.getLogger(PeerMesh.class);

    private final StreamHub hub;
    private volatile PeerAddress self;
    private final PeerSettings settings;
    private final RelayMetrics metrics;
    private final IdempotencyKeys keys;
    private final Map<PeerAddress, PeerLink> links = new HashMap<>();
    /** Links to peers that left the set, following on until what they hold is decided. */
    private final Map<PeerAddress, PeerLink> leaving = new HashMap<>();
    private final Set<PeerStream> followers = ConcurrentHashMap.newKeySet();
    private volatile Set<PeerAddress> peers = Set.of();
    /** Follow requests from relays not in the peer set, each waiting to be checked again when it changes; guarded by itself. */
    private final Set<Runnable> strangers = new HashSet<>();
    /** {@link #links} as of the last update, for readers that must not wait for the monitor. */
    private volatile Map<PeerAddress, PeerLink> linkView = Map.of();
    /** Whether the last peer set named this relay itself; guarded by this. */
    private boolean inSet;
    private PeerSource source;
    private boolean closed;

    public PeerMesh(StreamHub hub, PeerSettings settings, RelayMetrics metrics, IdempotencyKeys keys) {
        this.hub = hub;
        this.settings = settings;
        this.metrics = metrics;
        this.keys = keys;
    }

    /**
     * Starts following the peers {@code peerSource} names.
     *
     * @param self how peers reach this relay; known only once the peer port is bound
     */
    public void start(PeerAddress self, PeerSource peerSource) {
        synchronized (this) {
            this.self = self;
            this.source = peerSource;
        }
        peerSource.start(view -> update(view.members()));
    }

    /** The whole new peer set; this relay's own address in it is skipped. */
    public void update(Set<PeerAddress> newPeers) {
        boolean removed;
        synchronized (this) {
            if (closed) {
                return;
            }
            // An empty set says nothing of this relay (a cluster scaled to 0, a status being
            // rebuilt); a set of other relays without it says it is on its way out.
            boolean member = newPeers.contains(self);
            removed = inSet && !member && !newPeers.isEmpty();
            inSet = member;
            apply(newPeers);
        }
        if (removed) {
            // The operator takes a relay out of the set when its pod is being deleted: the Service
            // sends it nothing new and the other relays no longer serve it, while its pod's preStop
            // pause keeps it alive. Its subscribers would see nothing live until SIGTERM; they are
            // sent to reconnect now, to a relay that has every event (docs/clustering.md#leaving).
            LOG.info("this relay ({}) left its peer set: its subscribers are sent to reconnect to another relay", self);
            hub.sendSubscribersAway();
        }
        // Outside the monitor: each held follow request is decided again on its IO thread.
        List<Runnable> waiting;
        synchronized (strangers) {
            waiting = new ArrayList<>(strangers);
            strangers.clear();
        }
        waiting.forEach(Runnable::run);
    }

    private void apply(Set<PeerAddress> newPeers) {
        Set<PeerAddress> others = new HashSet<>(newPeers);
        others.remove(self);
        peers = Set.copyOf(others);
        leaving.values().removeIf(PeerLink::finished);
        for (PeerAddress gone : new HashSet<>(links.keySet())) {
            if (!others.contains(gone)) {
                PeerLink link = links.remove(gone);
                link.leave();
                leaving.put(gone, link);
                metrics.peerRemoved(gone.toString());
                LOG.info("peer {} removed", gone);
            }
        }
        for (PeerAddress added : others) {
            if (!links.containsKey(added)) {
                PeerLink left = leaving.remove(added);
                PeerLink link = left != null && left.rejoin() ? left
                        : new PeerLink(added, self, hub, settings, metrics, keys, left);
                links.put(added, link);
                metrics.peerAdded(added.toString(), link::connected);
                if (link != left) {
                    link.start();
                }
                LOG.info("peer {} added", added);
            }
        }
        for (PeerStream follower : followers) {
            if (!others.contains(follower.peer())) {
                follower.closeSoon();
            }
        }
        metrics.peersConfigured(others.size());
        linkView = Map.copyOf(links);
    }

    /**
     * Has {@code recheck} run once the peer set changes, for a follow request from a relay not in
     * it yet: the operator writes a new relay into the set as its pod gets an address, and each
     * relay reads the set in its own time, so "not a peer" often means "not a peer yet".
     *
     * @return false when {@link #MAX_WAITING_STRANGERS} wait already; then refuse at once
     */
    boolean awaitChange(Runnable recheck) {
        synchronized (strangers) {
            if (strangers.size() >= MAX_WAITING_STRANGERS) {
                return false;
            }
            strangers.add(recheck);
            return true;
        }
    }

    /** {@code recheck} need not run any more (its request timed out or closed). */
    void cancelAwait(Runnable recheck) {
        synchronized (strangers) {
            strangers.remove(recheck);
        }
    }

    /** Follow requests waiting for the peer set to change. */
    int waitingStrangers() {
        synchronized (strangers) {
            return strangers.size();
        }
    }

    /**
     * {@code peer} asked to follow this relay, so it is up: a link to it that is backing off tries
     * again now. On an IO thread, so it reads the links' snapshot rather than taking the monitor.
     */
    void contacted(PeerAddress peer) {
        PeerLink link = linkView.get(peer);
        if (link != null) {
            link.retryNow();
        }
    }

    /** What each link knows of its peer, for {@link ClusterJoin}. */
    synchronized Map<PeerAddress, PeerLink.Contact> contacts() {
        Map<PeerAddress, PeerLink.Contact> contacts = new HashMap<>();
        links.forEach((peer, link) -> {
            if (!link.isSelf()) {
                contacts.put(peer, link.contact());
            }
        });
        return contacts;
    }

    /** The peers following this relay now. */
    Set<PeerAddress> followerAddresses() {
        Set<PeerAddress> addresses = new HashSet<>();
        followers.forEach(stream -> addresses.add(stream.peer()));
        return addresses;
    }

    /** Whether a follower that acknowledges replicated publishes is connected. */
    boolean acknowledgerFollows() {
        return followers.stream().anyMatch(PeerStream::acknowledges);
    }

    /** Whether {@code address} is in the current peer set (and may follow this relay). */
    public boolean isPeer(PeerAddress address) {
        return peers.contains(address);
    }

    /** The current peer set, without this relay. */
    public Set<PeerAddress> peers() {
        return peers;
    }

    /**
     * Whether the peer set holds a relay other than this one that can acknowledge, so that a
     * replicated publish has someone to wait for. A peer address found to be this relay itself
     * does not count, nor a peer of an earlier version, which follows without acknowledging: in a
     * rolling update from such a version, the first new relay publishes as in local mode until a
     * second one follows it.
     */
    public synchronized boolean hasOtherPeers() {
        for (PeerLink link : links.values()) {
            if (!link.isSelf() && !link.olderPeer()) {
                return true;
            }
        }
        return false;
    }

    /** Links to peers that left the set and are still following them (see {@link PeerLink#leave}). */
    public synchronized int leavingLinks() {
        return (int) leaving.values().stream().filter(link -> !link.finished()).count();
    }

    /** Links whose stream from their peer is open now. */
    public synchronized int connectedLinks() {
        return (int) links.values().stream().filter(PeerLink::connected).count();
    }

    /** Peers following this relay now. */
    public int followerCount() {
        return followers.size();
    }

    void followerOpened(PeerStream stream) {
        followers.add(stream);
        // The set may have changed since the handler checked it.
        if (!isPeer(stream.peer())) {
            stream.closeSoon();
        }
    }

    void followerClosed(PeerStream stream) {
        followers.remove(stream);
        hub.unfollow(stream);
    }

    @Override
    public void close() {
        PeerSource toClose;
        synchronized (this) {
            closed = true;
            links.values().forEach(PeerLink::stop);
            leaving.values().forEach(PeerLink::stop);
            links.clear();
            linkView = Map.of();
            leaving.clear();
            toClose = source;
        }
        if (toClose != null) {
            toClose.close();
        }
    }
}
