package io.sserelay.relay;

import io.sserelay.relay.auth.JwtAuthenticator;
import io.sserelay.relay.auth.StaticToken;
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
import io.sserelay.relay.peer.ClusterJoin;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.PeerHandler;
import io.sserelay.relay.peer.PeerMesh;
import io.sserelay.relay.peer.PeerSettings;
import io.sserelay.relay.peer.PeerSource;
import io.sserelay.relay.peer.SseRelayStatusPeerSource;
import io.sserelay.relay.peer.StaticPeerSource;
import io.sserelay.relay.replication.IdempotencyKeys;
import io.sserelay.relay.replication.ReplicationGate;
import io.sserelay.relay.sse.SseFrames;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.stream.StreamHub;
import io.undertow.UndertowOptions;
import io.undertow.server.handlers.HttpContinueReadHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.OptionMap;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * One relay process: the HTTP server, the event hub and their lifecycle.
 *
 * <p>Threads: Undertow's IO threads serve subscribers and write to sockets; its worker
 * threads read publish bodies; one sweeper thread ages out history and, until a clustered relay
 * has joined, says in the log what it waits for; {@link #shutdown()} runs
 * on the caller's thread (the JVM's shutdown hook in production).
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
     * How long {@code /healthz} waits for the hub. Every step under the hub's lock is short and
     * never blocks, so a wait this long means the relay cannot serve.
     */
    static final Duration LIVENESS_LOCK_TIMEOUT = Duration.ofSeconds(2);

    /**
     * The Idempotency-Keys a relay remembers: at most this share of the heap by estimate, and this
     * many; a bound of their own, outside the configurable budgets (docs/relay.md, memory bounds).
     */
    static final double IDEMPOTENCY_HEAP_SHARE = 0.01;
    static final int MAX_IDEMPOTENCY_KEYS = 100_000;

    /** Connections the admin port holds at most: scrapers and probes. */
    static final int ADMIN_MAX_CONNECTIONS = 64;

    /** The largest request head (request line and headers); larger ones get 400 malformed_request. */
    public static final int MAX_REQUEST_HEAD_BYTES = 64 * 1024;

    private final RelayConfig config;
    private final StreamHub hub;
    private final RelayMetrics metrics;
    private final SseWriters writers;
    private final RelayServer server;
    private final PeerMesh mesh;
    private final ReplicationGate gate;
    /** Checks signed tokens, or null when neither side uses them. */
    private final JwtAuthenticator jwt;
    private final IdempotencyKeys keys;
    private final PeerSource peerSource;
    /** Whether this relay has joined its cluster, or null when it is not clustered. */
    private final ClusterJoin join;
    private final ScheduledExecutorService sweeper;
    private final AtomicBoolean shutDown = new AtomicBoolean();
    private volatile boolean draining;

    /**
     * A relay whose peers, if it is clustered, are those in its SseRelay's status
     * ({@code RELAY_SSERELAY_NAME}) or else the static set {@code RELAY_PEERS}.
     */
    public Relay(RelayConfig config) {
        this(config, config.sseRelayName() != null
                ? SseRelayStatusPeerSource.inCluster(config.sseRelayNamespace(), config.sseRelayName(), config.peerPort())
                : new StaticPeerSource(Set.copyOf(config.peers())));
    }

    /** A relay that learns its peers from {@code peerSource} (used only when clustered). */
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

    public Relay(RelayConfig config, PeerSource peerSource) {
        this.config = config;
        this.peerSource = peerSource;
        this.hub = new StreamHub(StreamHub.newOrigin(), config.history(), config.clustered(), SseFrames.ENCODER);
        this.metrics = new RelayMetrics(hub);
        this.writers = new SseWriters(config.sse(), metrics);
        metrics.bindQueueBudget(writers::queuedBytes, config.sse().queuesMaxBytes());
        this.jwt = config.jwt() == null ? null : new JwtAuthenticator(config.jwt());
        AccessControl access = accessControl(config, jwt, metrics);
        ConnectionLimits connectionLimits = new ConnectionLimits(config.connectionsMaxBytes(),
                config.maxConnectionsPerAddress());
        metrics.bindConnectionBudget(connectionLimits::usedBytes, connectionLimits.budgetBytes());
        this.keys = new IdempotencyKeys(config.history().maxAge(),
                Math.max(1L << 20, (long) (Runtime.getRuntime().maxMemory() * IDEMPOTENCY_HEAP_SHARE)), MAX_IDEMPOTENCY_KEYS);
        if (config.clustered()) {
            this.mesh = new PeerMesh(hub, new PeerSettings(config.peerToken(), peerReadTimeout(config),
                    config.publish().maxEventBytes(), config.publishMaxPendingBytes()), metrics, keys);
        } else {
            this.mesh = null;
        }
        PeerMesh peers = mesh;
        this.gate = config.replicatedAck()
                ? new ReplicationGate(hub, config.publishAckTimeout(), peers::hasOtherPeers) : null;
        metrics.bindReplication(gate, keys);
        UnexpectedErrors errors = new UnexpectedErrors(metrics::unexpectedError);
        PublishHandler publish = new PublishHandler(hub, access, config.publish(), config.requestTimeout(),
                config.publishMaxPendingBytes(), gate, keys, metrics, errors);
        metrics.bindPublishBudget(publish::pendingBytes, publish.pendingBudget());
        this.join = mesh == null ? null : new ClusterJoin(peerSource, mesh, config.replicatedAck());
        Supplier<Readiness> readiness = () -> {
            if (draining) {
                return Readiness.DRAINING;
            }
            List<String> missing = join == null ? List.of() : join.waitingFor(); // one look, which may latch
            return missing.isEmpty() ? Readiness.READY : Readiness.joining(missing);
        };
        metrics.bindReadiness(() -> readiness.get().ready());
        OperationalEndpoints operational = new OperationalEndpoints(metrics, readiness,
                () -> hub.responsive(LIVENESS_LOCK_TIMEOUT));
        RelayRouter router = new RelayRouter(
                new SubscribeHandler(hub, writers, access, connectionLimits, config.maxStreamsPerConnection(),
                        config.sse().shutdownRetry(), config.history().maxAge(),
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
        if (mesh != null) {
            listeners.add(new RelayServer.Listener(config.bindAddress(), config.peerPort(),
                    new PeerHandler(hub, writers, mesh, config.peerToken(), gate, errors)));
        }
        // RelayServer closes a connection that sends and receives nothing for the idle timeout;
        // streams write at least a heartbeat in that time. Undertow's NO_REQUEST_TIMEOUT is not
        // used: it counts from the end of the last exchange, which an endless stream never has,
        // and it re-armed on closed connections (see StreamingResponse.start).
        this.server = new RelayServer(config.ioThreads(), config.workerThreads(), ACCEPT_BACKLOG, serverOptions,
                config.idleTimeout(), listeners);
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "relay-history-sweeper");
            thread.setDaemon(true);
            return thread;
        });
    }

    public Relay start() {
        server.start();
        if (mesh != null) {
            mesh.start(advertisedPeerAddress(), peerSource);
        }
        long period = Math.max(100, Math.min(1000, config.history().maxAge().toMillis() / 10));
        sweeper.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
        if (join != null) {
            sweeper.scheduleWithFixedDelay(this::reportJoin, 1, 1, TimeUnit.SECONDS);
        }
        LOG.info("relay {} listening on {}, metrics on {} ({})", hub.origin(), address(), adminAddress(), config);
        return this;
    }

    /** The address the HTTP listener is bound to (with the real port when 0 was configured). */
    public InetSocketAddress address() {
        return server.address(0);
    }

    /** The address of the admin listener ({@code /metrics}), with the real port when 0 was configured. */
    public InetSocketAddress adminAddress() {
        return server.address(1);
    }

    /** The address of the peer listener, or null when the relay is not clustered. */
    public InetSocketAddress peerListenerAddress() {
        return mesh == null ? null : server.address(2);
    }

    /** How peers reach this relay, or null when it is not clustered. */
    public PeerAddress advertisedPeerAddress() {
        if (mesh == null) {
            return null;
        }
        if (config.advertiseAddress() != null) {
            return config.advertiseAddress();
        }
        return new PeerAddress(config.bindAddress(), peerListenerAddress().getPort());
    }

    /** This relay's place in the cluster, or null when it is not clustered. */
    public PeerMesh mesh() {
        return mesh;
    }

    public String origin() {
        return hub.origin();
    }

    public RelayConfig config() {
        return config;
    }

    private void sweep() {
        try {
            long now = System.nanoTime();
            hub.evictExpired(now);
            keys.evictExpired(now);
        } catch (RuntimeException e) {
            // A failure must not cancel the schedule, or history would stop aging out.
            LOG.error("history sweep failed", e);
        }
    }

    private void reportJoin() {
        try {
            join.report();
        } catch (RuntimeException e) {
            LOG.error("checking whether the relay joined its cluster failed", e); // keeps the schedule
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Peers send heartbeats at the heartbeat interval; a few missed ones mean the peer is gone. */
    private static Duration peerReadTimeout(RelayConfig config) {
        Duration threeBeats = config.sse().heartbeat().multipliedBy(3);
        return threeBeats.compareTo(Duration.ofSeconds(2)) < 0 ? Duration.ofSeconds(2) : threeBeats;
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
            LOG.info("relay {} not ready; closing streams in {}", hub.origin(), delay);
            sleep(delay.toMillis());
        }
        int open = metrics.openConnections();
        LOG.info("relay {} shutting down: draining {} subscriber connection(s)", hub.origin(), open);
        if (gate != null) {
            gate.close(); // before the hub: the ABORTs of what still waits must reach the peers
        }
        hub.close();
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        while (metrics.openConnections() > 0 && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
            sleep(10);
        }
        int left = metrics.openConnections();
        if (left > 0) {
            LOG.warn("relay {}: {} connection(s) did not drain within {}; closing them", hub.origin(), left,
                    config.drainTimeout());
        }
        if (mesh != null) {
            mesh.close();
        }
        writers.stop();
        server.stop();
        sweeper.shutdownNow();
        if (jwt != null) {
            jwt.close();
        }
        metrics.close();
        LOG.info("relay {} stopped", hub.origin());
    }
}
