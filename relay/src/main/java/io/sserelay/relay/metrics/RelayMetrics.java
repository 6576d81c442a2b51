package io.sserelay.relay.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sserelay.relay.replication.IdempotencyKeys;
import io.sserelay.relay.replication.ReplicationGate;
import io.sserelay.relay.stream.StreamHub;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The relay's Prometheus metrics, all prefixed {@code sserelay_}. Hot-path updates are
 * striped counters; hub figures are read from the hub when scraped.
 */
public final class RelayMetrics implements AutoCloseable {

    /** Why the relay closed a subscriber's connection itself. */
    public enum Disconnect {
        /** The subscriber's unsent backlog exceeded the per-connection buffer. */
        BACKLOG,
        /** The subscriber's socket accepted no bytes for the write timeout. */
        STALLED
    }

    /**
     * What a streaming response records as it writes: subscriber connections and peer streams
     * share the write path but not their figures, so that subscriber metrics mean subscribers.
     */
    public interface StreamWrites {
        /** A write took {@code events} queued events off the queue and put {@code bytes} on the socket. */
        void written(long events, long bytes);

        /** From accepting an event to writing it, for the first event of each write. */
        void publishToWrite(long nanos);

        void disconnected(Disconnect reason);
    }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private final AtomicInteger connections = new AtomicInteger();
    private final Counter delivered;
    private final Counter replayed;
    private final Counter bytesWritten;
    private final Counter backlogDisconnects;
    private final Counter stalledDisconnects;
    private final Timer publishToWrite;
    private final Timer ackReplicated;
    private final Timer ackLocal;
    private final Counter replicated;
    private final Counter unconfirmed;
    private final Counter idempotentReplays;
    private final Counter peerBytesWritten;
    private final Counter peerBacklogDisconnects;
    private final Counter peerStalledDisconnects;
    private final StreamWrites subscriberWrites;
    private final StreamWrites peerWrites;
    private final Map<String, Gauge> peerLinks = new ConcurrentHashMap<>();
    private final AtomicInteger peersConfigured = new AtomicInteger();
    private final AtomicInteger peerLinksConnected = new AtomicInteger();
    private final AtomicLong floorResets = new AtomicLong();
    private final Map<String, Counter> peerFramesRejected = new ConcurrentHashMap<>();
    private final Map<String, Counter> authRefusals = new ConcurrentHashMap<>();
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();
    private final Map<String, Counter> unexpectedErrors = new ConcurrentHashMap<>();

    public RelayMetrics(StreamHub hub) {
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);

        Gauge.builder("sserelay.connections", connections, AtomicInteger::get)
                .description("Open subscriber connections").register(registry);
        FunctionCounter.builder("sserelay.events.published", hub, StreamHub::accepted)
                .description("Events accepted from publishers on this relay").register(registry);
        delivered = Counter.builder("sserelay.events.delivered")
                .description("Live events written to subscriber sockets").register(registry);
        replayed = Counter.builder("sserelay.events.replayed")
                .description("Retained events queued to resuming subscribers").register(registry);
        bytesWritten = Counter.builder("sserelay.bytes.written")
                .description("Bytes written to subscriber sockets").register(registry);
        backlogDisconnects = Counter.builder("sserelay.subscribers.disconnected").tag("reason", "backlog")
                .description("Subscribers disconnected for being too slow").register(registry);
        stalledDisconnects = Counter.builder("sserelay.subscribers.disconnected").tag("reason", "stalled")
                .description("Subscribers disconnected for being too slow").register(registry);
        FunctionCounter.builder("sserelay.history.resets", hub, h -> h.resets() + floorResets.get())
                .description("Resumes whose position was older than the retained history").register(registry);
        Gauge.builder("sserelay.history.events", hub, StreamHub::retainedEvents)
                .description("Events retained for resume").register(registry);
        Gauge.builder("sserelay.history.bytes", hub, StreamHub::historyBytes).baseUnit("bytes")
                .description("Heap the history holds against its budget: retained events, their streams' logs,"
                        + " tombstones").register(registry);
        Gauge.builder("sserelay.history.budget", hub, h -> h.limits().maxBytes()).baseUnit("bytes")
                .description("The history's heap budget (RELAY_HISTORY_MAX_BYTES)").register(registry);
        Gauge.builder("sserelay.history.event.bytes", hub, StreamHub::retainedBytes).baseUnit("bytes")
                .description("Heap held by retained events").register(registry);
        Gauge.builder("sserelay.history.streams", hub, StreamHub::retainedStreams)
                .description("Streams holding retained events").register(registry);
        Gauge.builder("sserelay.history.tombstones", hub, StreamHub::tombstones)
                .description("Streams dropped while idle whose evictions are remembered one by one").register(registry);
        Gauge.builder("sserelay.history.tombstone.bytes", hub, StreamHub::tombstoneBytes).baseUnit("bytes")
                .description("Heap held by tombstones").register(registry);
        Gauge.builder("sserelay.id.origins", hub, StreamHub::idOrigins)
                .description("Origins this relay's event ids name: its own, its peers', stopped relays' not yet"
                        + " retired").register(registry);
        FunctionCounter.builder("sserelay.origins.retired", hub, StreamHub::retiredOrigins)
                .description("Origins of stopped relays that left the ids once silent for the history's maximum"
                        + " age").register(registry);
        FunctionCounter.builder("sserelay.origins.adopted", hub, StreamHub::adoptedOrigins)
                .description("Origins of relays that stopped before this one joined, learned from a peer")
                .register(registry);
        Gauge.builder("sserelay.streams", hub, StreamHub::liveStreams)
                .description("Streams known now: with retained events or with subscribers").register(registry);
        for (String reason : List.of("memory", "per_address")) {
            subscriberRefusedCounter(reason);
        }
        publishToWrite = Timer.builder("sserelay.publish.to.write")
                .description("From accepting an event to writing it to a subscriber socket (first event of each write)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1).dividedBy(10))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);

        ackReplicated = ackTimer("replicated");
        ackLocal = ackTimer("local");
        replicated = Counter.builder("sserelay.publish.replicated")
                .description("Publishes answered 202 once a peer held their events").register(registry);
        unconfirmed = Counter.builder("sserelay.publish.unconfirmed")
                .description("Publishes answered 503 replication_unconfirmed: no peer held their events in time,"
                        + " and they were dropped everywhere").register(registry);
        idempotentReplays = Counter.builder("sserelay.publish.idempotent.replays")
                .description("Publishes answered from an earlier publish with the same Idempotency-Key")
                .register(registry);

        peerBytesWritten = Counter.builder("sserelay.peer.bytes.written")
                .description("Bytes written to the streams of peers that follow this relay").register(registry);
        peerBacklogDisconnects = Counter.builder("sserelay.peer.followers.disconnected").tag("reason", "backlog")
                .description("Peer streams dropped for being too slow; the peer catches up when it follows again")
                .register(registry);
        peerStalledDisconnects = Counter.builder("sserelay.peer.followers.disconnected").tag("reason", "stalled")
                .description("Peer streams dropped for being too slow; the peer catches up when it follows again")
                .register(registry);
        subscriberWrites = new StreamWrites() {
            @Override
            public void written(long events, long bytes) {
                if (events > 0) {
                    delivered.increment(events);
                }
                bytesWritten.increment(bytes);
            }

            @Override
            public void publishToWrite(long nanos) {
                publishToWrite.record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void disconnected(Disconnect reason) {
                (reason == Disconnect.BACKLOG ? backlogDisconnects : stalledDisconnects).increment();
            }
        };
        peerWrites = new StreamWrites() {
            @Override
            public void written(long events, long bytes) {
                peerBytesWritten.increment(bytes); // frames of every kind; events alone would miss PENDING ones
            }

            @Override
            public void publishToWrite(long nanos) {
                // a subscriber figure: an event that reaches a peer is timed when that relay writes it
            }

            @Override
            public void disconnected(Disconnect reason) {
                (reason == Disconnect.BACKLOG ? peerBacklogDisconnects : peerStalledDisconnects).increment();
            }
        };

        Gauge.builder("sserelay.peers", peersConfigured, AtomicInteger::get)
                .description("Peers in this relay's peer set, itself excluded").register(registry);
        Gauge.builder("sserelay.peer.links.connected", peerLinksConnected, AtomicInteger::get)
                .description("Peers this relay is receiving events from now").register(registry);
        Gauge.builder("sserelay.peer.followers", hub, StreamHub::followers)
                .description("Peers receiving this relay's events now").register(registry);
        FunctionCounter.builder("sserelay.peer.events.applied", hub, StreamHub::applied)
                .description("Events received from peers and applied").register(registry);
        FunctionCounter.builder("sserelay.peer.events.duplicate", hub, StreamHub::duplicates)
                .description("Events received from peers that were already applied").register(registry);
    }

    private Timer ackTimer(String mode) {
        return Timer.builder("sserelay.publish.ack")
                .description("From a publish's body being received to its 202: mode replicated waited for a peer,"
                        + " local did not (no peer, or RELAY_PUBLISH_ACK=local)")
                .tag("mode", mode)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1).dividedBy(10))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry);
    }

    /** Gauges of replicated publishes (when the relay replicates) and idempotency keys. */
    public void bindReplication(ReplicationGate gate, IdempotencyKeys keys) {
        if (gate != null) {
            Gauge.builder("sserelay.publish.waiting", gate, ReplicationGate::waiting)
                    .description("Publishes waiting for a peer to hold their events").register(registry);
        }
        Gauge.builder("sserelay.idempotency.keys", keys, IdempotencyKeys::size)
                .description("Idempotency-Keys remembered").register(registry);
        bindBudget("sserelay.idempotency", "Heap the remembered Idempotency-Keys and their answers hold, by estimate",
                "1% of the heap", keys::bytes, keys.maxBytes());
        FunctionCounter.builder("sserelay.idempotency.keys.forgotten", keys, IdempotencyKeys::forgotten)
                .description("Idempotency-Keys forgotten before RELAY_HISTORY_MAX_AGE to stay within their bounds")
                .register(registry);
    }

    /** A publish was answered 202, {@code nanos} after its body was received. */
    public void publishAcknowledged(boolean afterReplication, long nanos) {
        (afterReplication ? ackReplicated : ackLocal).record(nanos, TimeUnit.NANOSECONDS);
        if (afterReplication) {
            replicated.increment();
        }
    }

    public void publishUnconfirmed() {
        unconfirmed.increment();
    }

    public void idempotentReplay() {
        idempotentReplays.increment();
    }

    /** Gauges of the subscriber connections' heap budget: what they hold by estimate, and the budget. */
    public void bindConnectionBudget(LongSupplier usedBytes, long budgetBytes) {
        bindBudget("sserelay.connections", "Heap subscriber connections hold, by the relay's estimate",
                "RELAY_CONNECTIONS_MAX_BYTES", usedBytes, budgetBytes);
    }

    /** Gauges of the subscriber queues' budget: what all unsent events hold, and the budget. */
    public void bindQueueBudget(LongSupplier usedBytes, long budgetBytes) {
        bindBudget("sserelay.subscriber.queues", "Unsent bytes all subscriber and peer streams hold, with their"
                + " queue entries", "RELAY_SUBSCRIBER_QUEUES_MAX_BYTES", usedBytes, budgetBytes);
    }

    /**
     * {@code sserelay_ready}: 1 while the relay answers {@code /readyz} with 200 (it takes
     * traffic), 0 while it waits for its peer set or drains; for alerts that see it from Prometheus.
     */
    public void bindReadiness(BooleanSupplier ready) {
        Gauge.builder("sserelay.ready", ready, r -> r.getAsBoolean() ? 1 : 0).strongReference(true)
                .description("1 while the relay takes traffic (GET /readyz answers 200), else 0").register(registry);
    }

    /** Gauges of the publish bodies' heap budget: what they hold, and the budget. */
    public void bindPublishBudget(LongSupplier usedBytes, long budgetBytes) {
        bindBudget("sserelay.publish.pending", "Heap held by publish bodies being received or published",
                "RELAY_PUBLISH_MAX_PENDING_BYTES", usedBytes, budgetBytes);
    }

    /** {@code <name>_bytes}, what is held against a budget, and {@code <name>_budget_bytes}, the budget. */
    private void bindBudget(String name, String description, String variable, LongSupplier usedBytes, long budgetBytes) {
        Gauge.builder(name + ".bytes", usedBytes, LongSupplier::getAsLong).strongReference(true).baseUnit("bytes")
                .description(description).register(registry);
        Gauge.builder(name + ".budget", () -> budgetBytes).baseUnit("bytes")
                .description("The budget of " + name.replace('.', '_') + "_bytes (" + variable + ")").register(registry);
    }

    /**
     * A subscriber was turned away at a limit: {@code sserelay_subscribers_refused_total{reason}},
     * {@code reason} being {@code memory} or {@code per_address}.
     */
    public void subscriberRefused(String reason) {
        subscriberRefusedCounter(reason).increment();
    }

    private Counter subscriberRefusedCounter(String reason) {
        return refused.computeIfAbsent(reason, r -> Counter.builder("sserelay.subscribers.refused").tag("reason", r)
                .description("Subscribers turned away at a connection limit").register(registry));
    }

    /**
     * A request was refused for its credential or its rights:
     * {@code sserelay_auth_refusals_total{action="publish"|"subscribe", reason}}.
     */
    public void authRefused(String action, String reason) {
        authRefusals.computeIfAbsent(action + " " + reason, key -> Counter.builder("sserelay.auth.refusals")
                .tag("action", action).tag("reason", reason)
                .description("Publishers and subscribers refused for their token or its rights").register(registry))
                .increment();
    }

    /**
     * A fault in the relay's own code answered a request with 500:
     * {@code sserelay_unexpected_errors_total{where}}. Anything above zero is a bug to report.
     */
    public void unexpectedError(String where) {
        unexpectedErrors.computeIfAbsent(where, w -> Counter.builder("sserelay.unexpected.errors").tag("where", w)
                .description("Requests answered 500 because of a fault in the relay").register(registry))
                .increment();
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public int openConnections() {
        return connections.get();
    }

    /** What subscriber connections record as they write. */
    public StreamWrites subscriberWrites() {
        return subscriberWrites;
    }

    /** What the streams of peers that follow this relay record as they write. */
    public StreamWrites peerWrites() {
        return peerWrites;
    }

    /** A subscriber was told it missed events when its floor expired (see SseConnection). */
    public void floorExpiredUnknown() {
        floorResets.incrementAndGet();
    }

    public void replayed(int events) {
        replayed.increment(events);
    }

    public void peersConfigured(int count) {
        peersConfigured.set(count);
    }

    /** A peer joined the peer set: {@code sserelay_peer_link_up{peer="host:port"}} says whether its link is up. */
    public void peerAdded(String peer, BooleanSupplier linkUp) {
        // Micrometer holds a gauge's object weakly; nothing else holds this lambda.
        peerLinks.put(peer, Gauge.builder("sserelay.peer.link.up", linkUp, up -> up.getAsBoolean() ? 1 : 0)
                .strongReference(true)
                .tag("peer", peer).description("1 while this relay receives a peer's events, 0 while it reconnects")
                .register(registry));
    }

    /** A peer left the peer set; its gauge goes with it. */
    public void peerRemoved(String peer) {
        Gauge gauge = peerLinks.remove(peer);
        if (gauge != null) {
            registry.remove(gauge);
        }
    }

    public void peerLinkUp() {
        peerLinksConnected.incrementAndGet();
    }

    public void peerLinkDown() {
        peerLinksConnected.decrementAndGet();
    }

    /** A peer's stream was dropped for sending what the protocol forbids. */
    public void peerFrameRejected(String reason) {
        peerFramesRejected.computeIfAbsent(reason, r -> Counter.builder("sserelay.peer.frames.rejected")
                .tag("reason", r).description("Peer streams dropped for a malformed or oversized frame")
                .register(registry)).increment();
    }

    /** The Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }
}
