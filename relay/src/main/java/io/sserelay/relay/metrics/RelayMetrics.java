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
import io.sserelay.relay.cluster.ClusterRuntime;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The relay's Prometheus metrics, all prefixed {@code sserelay_}. Hot-path updates are
 * striped counters; the cluster protocol's figures are read from its last retention pass and
 * status when scraped.
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
     * What a streaming response records as it writes.
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
    private final Counter published;
    private final Map<String, Gauge> peerLinks = new ConcurrentHashMap<>();
    private LongSupplier peerSentBytes;
    private final Counter resets;
    private final StreamWrites subscriberWrites;
    private final Map<String, Counter> authRefusals = new ConcurrentHashMap<>();
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();
    private final Map<String, Counter> unexpectedErrors = new ConcurrentHashMap<>();

    public RelayMetrics(ClusterRuntime<?> cluster) {
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);

        Gauge.builder("sserelay.connections", this.connections, AtomicInteger::get)
                .description("Open subscriber connections").register(registry);
        published = Counter.builder("sserelay.events.published")
                .description("Events published through this relay (answered 202)").register(registry);
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
        resets = Counter.builder("sserelay.history.resets")
                .description("Resets sent to subscribers: events they asked for were no longer retained")
                .register(registry);
        Gauge.builder("sserelay.history.events", cluster, c -> c.retained().entries())
                .description("Events this relay holds: as owner, replica and for its subscribers").register(registry);
        Gauge.builder("sserelay.history.bytes", cluster, c -> c.retained().bytes()).baseUnit("bytes")
                .description("Heap the events this relay holds take, against the history's budget").register(registry);
        Gauge.builder("sserelay.streams", cluster, c -> c.retained().streams())
                .description("Streams this relay holds a copy of: as owner, replica and for its subscribers")
                .register(registry);
        FunctionCounter.builder("sserelay.history.forgotten.streams", cluster, c -> c.forgottenTotal())
                .description("Copies of idle streams this relay forgot").register(registry);
        Gauge.builder("sserelay.cluster.view.generation", cluster,
                        c -> c.status().view() == null ? 0 : c.status().view().generation())
                .description("The generation of the cluster's view this relay runs on (0 before the first)")
                .register(registry);
        Gauge.builder("sserelay.peers", cluster,
                        c -> c.status().view() == null ? 0 : Math.max(0, c.status().view().members().size() - 1))
                .description("Other relays in this relay's view of the cluster").register(registry);
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

    /** Gauge of the history's budget: {@code sserelay_history_budget_bytes}. */
    public void bindHistoryBudget(long budgetBytes) {
        Gauge.builder("sserelay.history.budget", () -> budgetBytes).baseUnit("bytes")
                .description("The history's heap budget (RELAY_HISTORY_MAX_BYTES)").register(registry);
    }

    /** A publish of {@code events} events was answered 202, {@code nanos} after its body was received. */
    public void publishAcknowledged(boolean afterReplication, int events, long nanos) {
        published.increment(events);
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
        bindBudget("sserelay.subscriber.queues", "Unsent bytes all subscriber streams hold, with their"
                + " queue entries", "RELAY_SUBSCRIBER_QUEUES_MAX_BYTES", usedBytes, budgetBytes);
    }

    /**
     * {@code sserelay_ready}: 1 while the relay answers {@code /readyz} with 200 (it takes
     * traffic), 0 while it joins its cluster or drains; for alerts that see it from Prometheus.
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

    public void replayed(int events) {
        replayed.increment(events);
    }

    /** A subscriber was told it missed events ({@code sserelay_history_resets_total}). */
    public void reset() {
        resets.increment();
    }

    /** {@code sserelay_peer_sent_bytes_total}: what this relay wrote to its peers, read from {@code sent}. */
    public void bindPeerTraffic(LongSupplier sent) {
        peerSentBytes = sent; // a function counter holds what it reads weakly
        FunctionCounter.builder("sserelay.peer.sent.bytes", sent, LongSupplier::getAsLong).baseUnit("bytes")
                .description("Bytes this relay wrote on its links to peers, framing included").register(registry);
    }

    /** A link to a peer opened: {@code sserelay_peer_link_up{peer="host:port"}} says whether it is connected. */
    public void peerLinkAdded(String peer, BooleanSupplier connected) {
        // Micrometer holds a gauge's object weakly; nothing else holds this lambda.
        Gauge gauge = Gauge.builder("sserelay.peer.link.up", connected, up -> up.getAsBoolean() ? 1 : 0)
                .strongReference(true).tag("peer", peer)
                .description("1 while this relay's link to a peer is connected, 0 while it reconnects")
                .register(registry);
        Gauge before = peerLinks.put(peer, gauge);
        if (before != null && before != gauge) {
            registry.remove(before);
        }
    }

    /** The peer left the view; its gauge goes with its link. */
    public void peerLinkRemoved(String peer) {
        Gauge gauge = peerLinks.remove(peer);
        if (gauge != null) {
            registry.remove(gauge);
        }
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
