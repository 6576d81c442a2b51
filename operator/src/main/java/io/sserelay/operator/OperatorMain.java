package io.sserelay.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sserelay.operator.config.OperatorConfig;
import io.sserelay.operator.reconciler.RelayDependentFactory;
import io.sserelay.operator.reconciler.SseRelayReconciler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Runs the SseRelay operator: reads its configuration, registers the reconciler, serves
 * health and Prometheus metrics, and stops gracefully on SIGTERM. Exits with status 2 and a
 * list of problems when the configuration is invalid.
 */
public final class OperatorMain {

    private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

    private OperatorMain() {
    }

    public static void main(String[] args) throws IOException {
        OperatorConfig config;
        try {
            config = OperatorConfig.fromEnvironment(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("sse-relay-operator: invalid configuration:\n  " + e.getMessage().replace("\n", "\n  "));
            System.exit(2);
            return;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        Operator operator = new Operator(overrider -> {
            overrider.withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry))
                    .withDependentResourceFactory(new RelayDependentFactory(config.relayImage()));
            if (config.leaderElection()) {
                overrider.withLeaderElectionConfiguration(
                        new LeaderElectionConfiguration(OperatorConfig.LEASE_NAME, config.leaseNamespace()));
            }
        });
        operator.register(new SseRelayReconciler(), overrider -> {
            if (!config.namespaces().isEmpty()) {
                overrider.settingNamespaces(config.namespaces());
            }
        });
        HttpServer health = healthServer(new InetSocketAddress(config.healthAddress(), config.healthPort()), operator,
                registry);
        operator.installShutdownHook(Duration.ofSeconds(10));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> health.stop(0), "health-server-stop"));
        operator.start();
        LOG.info("sse-relay-operator started: relay image {}, namespaces {}, leader election {}, health and metrics on"
                + " port {}", config.relayImage(), config.namespaces().isEmpty() ? "all" : config.namespaces(),
                config.leaderElection() ? "on" : "off", health.getAddress().getPort());
    }

    /** /healthz: the process runs; /readyz: every controller's informers are healthy; /metrics. */
    private static HttpServer healthServer(InetSocketAddress address, Operator operator, PrometheusMeterRegistry registry)
            throws IOException {
        HttpServer server = HttpServer.create(address, 0);
        server.createContext("/healthz", exchange -> respond(exchange, 200, "{\"status\":\"ok\"}", "application/json"));
        server.createContext("/readyz", exchange -> {
            boolean ready = operator.getRuntimeInfo().isStarted() && operator.getRuntimeInfo().allEventSourcesAreHealthy();
            respond(exchange, ready ? 200 : 503, ready ? "{\"status\":\"ready\"}" : "{\"status\":\"starting\"}",
                    "application/json");
        });
        server.createContext("/metrics", exchange -> respond(exchange, 200, registry.scrape(),
                "text/plain; version=0.0.4; charset=utf-8"));
        server.start();
        return server;
    }

    private static void respond(HttpExchange exchange, int status, String body, String type) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
