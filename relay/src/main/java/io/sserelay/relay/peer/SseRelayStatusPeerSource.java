package io.sserelay.relay.peer;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.sserelay.api.PeerStatus;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelayStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The view the operator wrote into this relay's own SseRelay status ({@code status.peers},
 * {@code status.leavingPeers} and {@code status.peersGeneration}), followed with a get and a watch of that one object: the only rights the relay pods have.
 * They never list pods.
 *
 * <p>While the API server cannot be reached the relay keeps the peers it last knew, and tries
 * again with backoff. It counts as ready once it has loaded the peers the first time.
 *
 * <p>Threads: fabric8's watch thread delivers changes; one scheduler thread (re)starts the
 * get and the watch. The listener is called from either, one call at a time.
 */
public final class SseRelayStatusPeerSource implements PeerSource {

    private static final Logger LOG = LoggerFactory.getLogger(SseRelayStatusPeerSource.class);
    private static final long FIRST_RETRY_MILLIS = 500;
    private static final long MAX_RETRY_MILLIS = 10_000;

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final int peerPort;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "sserelay-status-watch");
        thread.setDaemon(true);
        return thread;
    });
    private Consumer<PeerView> listener;
    private PeerView last;
    private Watch watch;
    private long retryMillis = FIRST_RETRY_MILLIS;
    private final boolean ownsClient;
    private volatile boolean loaded;
    private volatile boolean closed;

    /** Follows the SseRelay with {@code client}, which the caller keeps and closes. */
    public SseRelayStatusPeerSource(KubernetesClient client, String namespace, String name, int peerPort) {
        this(client, namespace, name, peerPort, false);
    }

    /** Follows the SseRelay with the pod's own credentials (or the local kubeconfig). */
    public static SseRelayStatusPeerSource inCluster(String namespace, String name, int peerPort) {
        return new SseRelayStatusPeerSource(new KubernetesClientBuilder().build(), namespace, name, peerPort, true);
    }

    private SseRelayStatusPeerSource(KubernetesClient client, String namespace, String name, int peerPort,
            boolean ownsClient) {
        this.ownsClient = ownsClient;
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.peerPort = peerPort;
    }

    @Override
    public void start(Consumer<PeerView> newListener) {
        this.listener = newListener;
        scheduler.execute(this::load);
    }

    @Override
    public boolean ready() {
        return loaded;
    }

    /** Gets the SseRelay, publishes its peers, then watches it for changes. */
    private void load() {
        if (closed) {
            return;
        }
        try {
            SseRelay relay = client.resources(SseRelay.class).inNamespace(namespace).withName(name).get();
            if (relay == null) {
                throw new KubernetesClientException("SseRelay " + namespace + "/" + name + " does not exist");
            }
            publish(relay);
            watch = client.resources(SseRelay.class).inNamespace(namespace).withName(name)
                    .withResourceVersion(relay.getMetadata().getResourceVersion())
                    .watch(new StatusWatcher());
            retryMillis = FIRST_RETRY_MILLIS;
        } catch (KubernetesClientException e) {
            LOG.warn("cannot read SseRelay {}/{} ({}); keeping {} peer(s), retrying in {} ms", namespace, name,
                    e.getMessage(), last == null ? 0 : last.members().size(), retryMillis);
            retryLater();
        }
    }

    private void retryLater() {
        if (!closed) {
            scheduler.schedule(this::load, retryMillis, TimeUnit.MILLISECONDS);
            retryMillis = Math.min(retryMillis * 2, MAX_RETRY_MILLIS);
        }
    }

    private synchronized void publish(SseRelay relay) {
        SseRelayStatus status = relay.getStatus();
        PeerView view = status == null ? new PeerView(0, Set.of(), Set.of())
                : new PeerView(status.getPeersGeneration() == null ? 0 : status.getPeersGeneration(),
                        addresses(status.getPeers()), addresses(status.getLeavingPeers()));
        loaded = true; // before the listener hears of it, so that whoever it tells finds the source ready
        if (!Objects.equals(view, last)) {
            last = view;
            LOG.info("peers from SseRelay {}/{}: generation {}, {}, leaving {}", namespace, name, view.generation(),
                    view.members(), view.leaving());
            listener.accept(view);
        }
    }

    private Set<PeerAddress> addresses(List<PeerStatus> peers) {
        Set<PeerAddress> addresses = new LinkedHashSet<>();
        if (peers != null) {
            for (PeerStatus peer : peers) {
                if (peer.getIp() != null && !peer.getIp().isEmpty()) {
                    addresses.add(new PeerAddress(peer.getIp(), peerPort));
                }
            }
        }
        return addresses;
    }

    @Override
    public void close() {
        closed = true;
        Watch current = watch;
        if (current != null) {
            current.close();
        }
        scheduler.shutdownNow();
        if (ownsClient) {
            client.close();
        }
    }

    private final class StatusWatcher implements Watcher<SseRelay> {

        @Override
        public void eventReceived(Action action, SseRelay relay) {
            if (action == Action.ADDED || action == Action.MODIFIED) {
                publish(relay);
            } else if (action == Action.DELETED) {
                LOG.warn("SseRelay {}/{} was deleted; keeping the last peers", namespace, name);
            }
        }

        @Override
        public void onClose(WatcherException cause) {
            // The watch ended abnormally (the API server went away, or our resource version is
            // too old): start over with a fresh get, keeping the peers meanwhile.
            LOG.info("watch on SseRelay {}/{} ended: {}", namespace, name, cause.getMessage());
            retryLater();
        }

        @Override
        public void onClose() {
            if (!closed) {
                retryLater();
            }
        }
    }
}
