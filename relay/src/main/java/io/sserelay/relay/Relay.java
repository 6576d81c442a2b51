package io.sserelay.relay;

import io.sserelay.relay.config.RelayConfig;
import io.sserelay.relay.http.AccessControl;
import io.sserelay.relay.http.CorsHandler;
import io.sserelay.relay.http.PublishHandler;
import io.sserelay.relay.http.RelayRouter;
import io.sserelay.relay.http.SubscribeHandler;
import io.sserelay.relay.metrics.RelayMetrics;
import io.sserelay.relay.sse.SseWriters;
import io.sserelay.relay.stream.StreamHub;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One relay process: the HTTP server, the event hub and their lifecycle.
 *
 * <p>Threads: Undertow's IO threads serve subscribers and write to sockets; its worker
 * threads read publish bodies; one sweeper thread ages out history; {@link #shutdown()} runs
 * on the caller's thread (the JVM's shutdown hook in production).
 */
public final class Relay {

    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    private final RelayConfig config;
    private final StreamHub hub;
    private final RelayMetrics metrics;
    private final SseWriters writers;
    private final Undertow server;
    private final ScheduledExecutorService sweeper;
    private final AtomicBoolean shutDown = new AtomicBoolean();
    private volatile boolean draining;

    public Relay(RelayConfig config) {
        this.config = config;
        this.hub = new StreamHub(StreamHub.newOrigin(), config.history());
        this.metrics = new RelayMetrics(hub);
        this.writers = new SseWriters(config.sse(), metrics);
        AccessControl access = new AccessControl(config);
        RelayRouter router = new RelayRouter(
                new SubscribeHandler(hub, writers, access, config.maxStreamsPerConnection(), config.sse().shutdownRetry()),
                new PublishHandler(hub, access, config.publish()),
                metrics,
                () -> !draining);
        this.server = Undertow.builder()
                .addHttpListener(config.httpPort(), config.bindAddress())
                .setIoThreads(config.ioThreads())
                .setWorkerThreads(config.workerThreads())
                .setServerOption(UndertowOptions.ENABLE_HTTP2, false)
                .setHandler(new CorsHandler(config.corsAllowedOrigins(), router))
                .build();
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "relay-history-sweeper");
            thread.setDaemon(true);
            return thread;
        });
    }

    public Relay start() {
        server.start();
        long period = Math.max(100, Math.min(1000, config.history().maxAge().toMillis() / 10));
        sweeper.scheduleAtFixedRate(() -> hub.evictExpired(System.nanoTime()), period, period, TimeUnit.MILLISECONDS);
        LOG.info("relay {} listening on {} ({})", hub.origin(), address(), config);
        return this;
    }

    /** The address the HTTP listener is bound to (with the real port when 0 was configured). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
    }

    public String origin() {
        return hub.origin();
    }

    public RelayConfig config() {
        return config;
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
        int open = metrics.openConnections();
        LOG.info("relay {} shutting down: draining {} subscriber connection(s)", hub.origin(), open);
        hub.close();
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        while (metrics.openConnections() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = metrics.openConnections();
        if (left > 0) {
            LOG.warn("relay {}: {} connection(s) did not drain within {}; closing them", hub.origin(), left,
                    config.drainTimeout());
        }
        writers.stop();
        server.stop();
        sweeper.shutdownNow();
        metrics.close();
        LOG.info("relay {} stopped", hub.origin());
    }
}
