package io.sserelay.relay;

import io.sserelay.relay.auth.JwtAuthenticator;
import io.sserelay.relay.auth.StaticToken;
import io.sserelay.relay.cluster.ClusterNode;
import io.sserelay.relay.cluster.ClusterRuntime;
import io.sserelay.relay.cluster.MessageCodec;
import io.sserelay.relay.cluster.View;
import io.sserelay.relay.config.RelayConfig;
import io.sserelay.relay.http.AccessControl;
import io.sserelay.relay.http.AdminRouter;
import io.sserelay.relay.http.ConnectionLimits;
import io.sserelay.relay.http.CorsHandler;
import io.sserelay.relay.http.OperationalEndpoints;
import io.sserelay.relay.http.PublishHandler;
import io.sserelay.relay.http.Readiness;
import io.sserelay.relay.http.RelayServer;
import io.sserelay.relay.http.RelayRouter;
import io.sserelay.relay.http.SubscribeHandler;
import io.sserelay.relay.http.UnexpectedErrors;
import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.peer.ClusterEndpoint;
import io.sserelay.relay.peer.ClusterLinks;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.PeerSource;
import io.sserelay.relay.peer.PeerView;
import io.sserelay.relay.peer.SseRelayStatusPeerSource;
import io.sserelay.relay.peer.StaticPeerSource;
import io.sserelay.relay.sse.SseConnections;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.stream.Published;
import io.sserelay.relay.stream.PublishedCodec;
import io.undertow.UndertowOptions;
import io.undertow.server.handlers.HttpContinueReadHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One relay process: the HTTP server, the cluster protocol that numbers, keeps and delivers its
 * streams' events (docs/stream-ownership.md), and their lifecycle. A relay on its own is a
 * cluster of one.
 *
 * <p>Threads: Undertow's IO threads serve subscribers and write to sockets; its worker threads
 * read publish bodies; the protocol runs one step at a time ({@link ClusterRuntime}), a small step
 * on the IO or worker thread that brought it when no other thread runs the protocol, ticks,
 * retention and view changes on the protocol's own thread; each peer link has a thread; one thread says in the log, until a clustered relay has joined,
 * what it waits for; {@link #shutdown()} runs on the caller's thread (the JVM's shutdown hook in
 * production).
 */
public final class Relay {

    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    /**
     * Connections the kernel may hold for accepting. When a relay stops, its subscribers all
     * reconnect at once to the others; Undertow's default of 1,000 made the rest wait for a SYN
     * retry a second later. The kernel caps it at {@code net.core.somaxconn}.
     */
    static final int ACCEPT_BACKLOG = 16_384;

    /**
     * How long the protocol may go without a tick (one is due every 50 ms) before
     * {@code /healthz} reports the relay stuck. Every step of the protocol is short and never
     * blocks, and its thread lets a due tick in every 256 steps however busy, so a gap this long
     * means the relay cannot serve.
     */
    static final Duration LIVENESS_TIMEOUT = Duration.ofSeconds(10);

    /** Connections the admin port holds at most: scrapers and probes. */
    static final int ADMIN_MAX_CONNECTIONS = 64;

    /** The largest request head (request line and headers); larger ones get 400 malformed_request. */
    public static final int MAX_REQUEST_HEAD_BYTES = 64 * 1024;

    /** How often the protocol's thread ticks: resends, interest renewals, timeouts. */
    static final long TICK_MILLIS = 50;

    /** Timings of the protocol (docs/stream-ownership.md), in milliseconds. */
    static final long RETRANSMIT_MILLIS = 100;
    /**
     * How long an owner keeps sending a relay a stream's events without hearing again that it has
     * subscribers of it (they ask every third of it). A relay whose last subscriber leaves says so
     * at once, and one that adopts a view asks the new owners at once, so this only bounds what a
     * relay that died costs its owners, and how often a renewal crosses the cluster.
     */
    static final long INTEREST_TTL_MILLIS = 15_000;
    static final long LEAVING_TIMEOUT_MILLIS = 5_000;
    static final int MAX_DEFERRED = 10_000;

    /** The frames of peer links: a message larger than this travels in fragments. */
    static final int PEER_FRAME_BYTES = 1 << 20;

    /** What a relay calls itself when it is not clustered: a cluster of one needs a name. */
    static final String STANDALONE = "standalone";

    private final RelayConfig config;
    private final RelayMetrics metrics;
    private final SseWriters writers;
    private final SseConnections connections = new SseConnections();
    private final RelayServer server;
    private final ClusterRuntime<Published> cluster;
    /** Carries the protocol's messages to peers, or null when the relay is not clustered. */
    private final ClusterLinks links;
    /** Checks signed tokens, or null when neither side uses them. */
    private final JwtAuthenticator jwt;
    private final PeerSource peerSource;
    /** This relay's name in the cluster: its peer address, or {@link #STANDALONE}. */
    private final String self;
    private final ScheduledExecutorService reporter;
    private final AtomicBoolean shutDown = new AtomicBoolean();
    private volatile boolean draining;
    /** Set once the shutdown delay has passed: from then on publishes are refused. */
    private volatile boolean refusingPublishes;
    /** Set once the relay was a member of the view with every handover in; it stays ready until it leaves. */
    private volatile boolean joined;
    /** The view as this relay last read it, for readiness and leaving. */
    private volatile PeerView lastView;

    /**
     * A relay whose peers, if it is clustered, are those in its SseRelay's status
     * ({@code RELAY_SSERELAY_NAME}) or else the static set {@code RELAY_PEERS}.
     */
    public Relay(RelayConfig config) {
        this(config, config.sseRelayName() != null
                ? SseRelayStatusPeerSource.inCluster(config.sseRelayNamespace(), config.sseRelayName(), config.peerPort())
                : new StaticPeerSource(Set.copyOf(config.peers())));
    }

    /**
     * Who may publish and subscribe: a static token grants every stream; a signed token the
     * streams its claims list. Publishing is open only when the configuration says so.
     */
    private static AccessControl accessControl(RelayConfig config, JwtAuthenticator jwt, RelayMetrics metrics) {
        AccessControl.Rule publish = config.publishJwt() ? new AccessControl.Rule("publishing", jwt, null, false)
                : config.publishToken() == null ? null
                : new AccessControl.Rule("publishing", new StaticToken("publishing", config.publishToken()), null, false);
        AccessControl.Rule subscribe = config.subscribeJwt()
                ? new AccessControl.Rule("subscribing", jwt, config.jwt().cookie(), config.jwt().queryParameter())
                : config.subscribeToken() == null ? null
                : new AccessControl.Rule("subscribing", new StaticToken("subscribing", config.subscribeToken()), null,
                        true);
        return new AccessControl(publish, subscribe, metrics::authRefused);
    }

    /** A relay that learns its peers from {@code peerSource} (used only when clustered). */
    public Relay(RelayConfig config, PeerSource peerSource) {
        this.config = config;
        this.peerSource = peerSource;
        this.self = config.clustered() ? advertisedPeerAddress().toString() : STANDALONE;
        ClusterNode.Settings settings = new ClusterNode.Settings(config.publishAckTimeout().toMillis(),
                2 * config.publishAckTimeout().toMillis() + LEAVING_TIMEOUT_MILLIS, RETRANSMIT_MILLIS,
                INTEREST_TTL_MILLIS, LEAVING_TIMEOUT_MILLIS, config.history().maxEventsPerStream(), MAX_DEFERRED,
                config.replicatedAck() || !config.clustered());
        MessageCodec<Published> codec = new MessageCodec<>(new PublishedCodec(config.publish().maxEventBytes()),
                config.history().maxEventsPerStream(), PEER_FRAME_BYTES, peerMessageBytes(config));
        this.links = config.clustered()
                ? new ClusterLinks(self, config.peerToken(), codec, peerMessageBytes(config)) : null;
        this.cluster = new ClusterRuntime<>(self, System.currentTimeMillis(), settings,
                links != null ? links : (to, envelope) -> { });
        this.metrics = new RelayMetrics(cluster);
        if (links != null) {
            metrics.bindPeerTraffic(links::sentBytes);
            links.watch(new ClusterLinks.LinkWatcher() {
                @Override
                public void added(String peer, java.util.function.BooleanSupplier connected) {
                    metrics.peerLinkAdded(peer, connected);
                }

                @Override
                public void removed(String peer) {
                    metrics.peerLinkRemoved(peer);
                }
            });
        }
        this.writers = new SseWriters(config.sse(), metrics);
        metrics.bindQueueBudget(writers::queuedBytes, config.sse().queuesMaxBytes());
        this.jwt = config.jwt() == null ? null : new JwtAuthenticator(config.jwt());
        AccessControl access = accessControl(config, jwt, metrics);
        ConnectionLimits connectionLimits = new ConnectionLimits(config.connectionsMaxBytes(),
                config.maxConnectionsPerAddress());
        metrics.bindConnectionBudget(connectionLimits::usedBytes, connectionLimits.budgetBytes());
        metrics.bindHistoryBudget(config.history().maxBytes());
        UnexpectedErrors errors = new UnexpectedErrors(metrics::unexpectedError);
        PublishHandler publish = new PublishHandler(cluster, access, config.publish(), config.requestTimeout(),
                config.publishMaxPendingBytes(), config.publishAckTimeout(), config.replicatedAck(), metrics, errors,
                () -> refusingPublishes);
        metrics.bindPublishBudget(publish::pendingBytes, publish.pendingBudget());
        metrics.bindReadiness(() -> readiness().ready());
        OperationalEndpoints operational = new OperationalEndpoints(metrics, this::readiness,
                () -> cluster.responsive(LIVENESS_TIMEOUT));
        RelayRouter router = new RelayRouter(
                new SubscribeHandler(cluster, connections, writers, access, connectionLimits,
                        config.maxStreamsPerConnection(), config.sse().shutdownRetry(),
                        config.subscribeJwt() && config.jwt().endStreamAtExpiry(), errors),
                publish,
                operational, errors);
        OptionMap serverOptions = OptionMap.builder()
                .set(UndertowOptions.ENABLE_HTTP2, false)
                // A subscriber's request head stays on the heap while it streams; Undertow's
                // default of 1 MiB would let a few hundred anonymous connections fill it.
                .set(UndertowOptions.MAX_HEADER_SIZE, MAX_REQUEST_HEAD_BYTES)
                // The router decodes the request target itself (RequestTarget says why), so bytes
                // Undertow would refuse with a bare 400 reach it and get a JSON error.
                .set(UndertowOptions.DECODE_URL, false)
                .set(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, true)
                // A client that trickles its request head, or opens a connection and sends
                // nothing, is disconnected; bodies have their own deadline (BodyReceiver).
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) config.requestTimeout().toMillis())
                .getMap();
        List<RelayServer.Listener> listeners = new ArrayList<>();
        // Answers "Expect: 100-continue" when a handler starts reading the body, so a request
        // refused before that gets its final status at once instead.
        listeners.add(new RelayServer.Listener(config.bindAddress(), config.httpPort(),
                new CorsHandler(config.corsAllowedOrigins(), config.jwt() != null && config.jwt().cookie() != null,
                        new HttpContinueReadHandler(router)),
                config.maxConnections()));
        // Nobody but Prometheus and probes comes here; a few connections are plenty, and a client
        // that opens many cannot take the relay's descriptors from subscribers.
        listeners.add(new RelayServer.Listener(config.bindAddress(), config.adminPort(),
                new AdminRouter(operational, errors), ADMIN_MAX_CONNECTIONS));
        if (links != null) {
            listeners.add(new RelayServer.Listener(config.bindAddress(), config.peerPort(),
                    new ClusterEndpoint<>(cluster, codec, config.peerToken(), errors)));
        }
        // RelayServer closes a connection that sends and receives nothing for the idle timeout;
        // streams write at least a heartbeat in that time. Undertow's NO_REQUEST_TIMEOUT is not
        // used: it counts from the end of the last exchange, which an endless stream never has,
        // and it re-armed on closed connections (see StreamingResponse.start).
        this.server = new RelayServer(config.ioThreads(), config.workerThreads(), ACCEPT_BACKLOG, serverOptions,
                config.idleTimeout(), listeners);
        this.reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "relay-join-reporter");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * The largest message between relays: a sync or a catch-up carries a stream's whole copy, and
     * a handover every copy a relay holds of the streams its target now owns; so the history's
     * budget, within 16 MiB and 256 MiB (docs/stream-ownership.md, known gaps).
     */
    private static int peerMessageBytes(RelayConfig config) {
        return (int) Math.max(16L << 20, Math.min(256L << 20, config.history().maxBytes()));
    }

    public Relay start() {
        server.start();
        cluster.start(TICK_MILLIS, new ClusterNode.Retention<>(config.history().maxAge().toMillis(),
                config.history().maxBytes(), config.history().maxStreams(), Published::heapBytes,
                Published::publishedAtMillis));
        if (links == null) {
            cluster.view(View.of(1, List.of(self)));
        } else {
            peerSource.start(this::viewChanged);
            reporter.scheduleWithFixedDelay(this::reportJoin, 1, 1, TimeUnit.SECONDS);
        }
        LOG.info("relay {} listening on {}, metrics on {} ({})", self, address(), adminAddress(), config);
        return this;
    }

    /** A new view from the peer source: to the protocol, and, if this relay was taken out, its subscribers go elsewhere. */
    private void viewChanged(PeerView view) {
        PeerView before = lastView;
        lastView = view;
        if (view.generation() == 0) {
            return; // the operator has not published a view yet
        }
        Set<String> members = names(view.members());
        Set<String> leaving = names(view.leaving());
        leaving.removeAll(members);
        cluster.view(new View(view.generation(), List.copyOf(members), List.copyOf(leaving)));
        boolean wasMember = before != null && names(before.members()).contains(self);
        if (wasMember && !members.contains(self)) {
            // Taken out of the cluster (its pod is being deleted, or it was scaled away): its
            // subscribers reconnect now, through the Service, to relays that stay.
            LOG.info("relay {} left the cluster's view (generation {}); sending {} subscriber(s) elsewhere", self,
                    view.generation(), connections.size());
            joined = false;
            connections.sendAway();
        }
    }

    private static Set<String> names(Set<PeerAddress> addresses) {
        Set<String> names = new HashSet<>();
        addresses.forEach(address -> names.add(address.toString()));
        return names;
    }

    /** Whether this relay should get new traffic, and if it should not yet, what it waits for. */
    public Readiness readiness() {
        if (draining) {
            return Readiness.DRAINING;
        }
        if (links == null) {
            return Readiness.READY;
        }
        PeerView view = lastView;
        if (view == null || view.generation() == 0) {
            return Readiness.joining(List.of("the cluster's view in the SseRelay status (status.peers and"
                    + " status.peersGeneration)"));
        }
        if (!names(view.members()).contains(self)) {
            return Readiness.joining(List.of("this relay (" + self + ") among the peers of the view, generation "
                    + view.generation()));
        }
        if (joined) {
            return Readiness.READY; // later views do not take it out of the Service while streams move
        }
        ClusterRuntime.Status status = cluster.status();
        if (status.view() == null || status.view().generation() < view.generation()) {
            return Readiness.joining(List.of("the cluster protocol to adopt the view, generation " + view.generation()));
        }
        if (!status.view().hasMember(self)) {
            return Readiness.joining(List.of("this relay (" + self + ") among the peers of the view, generation "
                    + status.view().generation()));
        }
        if (!status.awaitedHandovers().isEmpty()) {
            List<String> waiting = new ArrayList<>();
            status.awaitedHandovers().forEach(peer -> waiting.add("the handover of " + peer));
            return Readiness.joining(waiting);
        }
        joined = true;
        return Readiness.READY;
    }

    private void reportJoin() {
        try {
            Readiness readiness = readiness();
            if (readiness.status() == Readiness.Status.JOINING) {
                LOG.info("relay {} is joining its cluster; waiting for {}", self, readiness.waitingFor());
            }
        } catch (RuntimeException e) {
            LOG.error("checking whether the relay joined its cluster failed", e); // keeps the schedule
        }
    }

    /** The address the HTTP listener is bound to (with the real port when 0 was configured). */
    public InetSocketAddress address() {
        return server.address(0);
    }

    /** The address of the admin listener ({@code /metrics}), with the real port when 0 was configured. */
    public InetSocketAddress adminAddress() {
        return server.address(1);
    }

    /** How peers reach this relay, or null when it is not clustered. */
    public PeerAddress advertisedPeerAddress() {
        if (!config.clustered()) {
            return null;
        }
        if (config.advertiseAddress() != null) {
            return config.advertiseAddress();
        }
        return new PeerAddress(config.bindAddress(), config.peerPort());
    }

    /** The cluster protocol's runtime: what this relay numbers, keeps and delivers. */
    public ClusterRuntime<Published> cluster() {
        return cluster;
    }

    /** This relay's name in its cluster: its peer address, or {@code standalone}. */
    public String self() {
        return self;
    }

    /** The subscriber connections open now. */
    public int openConnections() {
        return metrics.openConnections();
    }

    public RelayConfig config() {
        return config;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Graceful stop: report not ready, stop accepting publishes and subscribers, send every
     * subscriber what was accepted before and then the signal to reconnect, wait for the
     * connections to drain (at most the drain timeout), then stop the server. Idempotent.
     */
    public void shutdown() {
        if (!shutDown.compareAndSet(false, true)) {
            return;
        }
        draining = true;
        Duration delay = config.shutdownDelay();
        if (!delay.isZero()) {
            // Keep serving while load balancers notice the relay is not ready any more.
            LOG.info("relay {} not ready; closing streams in {}", self, delay);
            sleep(delay.toMillis());
        }
        refusingPublishes = true;
        int open = metrics.openConnections();
        LOG.info("relay {} shutting down: draining {} subscriber connection(s)", self, open);
        connections.close();
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        while (metrics.openConnections() > 0 && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
            sleep(10);
        }
        int left = metrics.openConnections();
        if (left > 0) {
            LOG.warn("relay {}: {} connection(s) did not drain within {}; closing them", self, left,
                    config.drainTimeout());
        }
        peerSource.close();
        reporter.shutdownNow();
        cluster.close();
        if (links != null) {
            links.close();
        }
        writers.stop();
        server.stop();
        if (jwt != null) {
            jwt.close();
        }
        metrics.close();
        LOG.info("relay {} stopped", self);
    }
}
