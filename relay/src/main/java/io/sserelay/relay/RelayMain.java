package io.sserelay.relay;

import io.sserelay.relay.config.ConfigException;
import io.sserelay.relay.config.RelayConfig;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;

/**
 * Starts a relay configured from the environment and stops it gracefully on SIGTERM.
 * Exits with status 2 and a list of problems when the configuration is invalid.
 */
public final class RelayMain {

    private static final Logger LOG = LoggerFactory.getLogger(RelayMain.class);

    private RelayMain() {
    }

    public static void main(String[] args) {
        // Undertow and XNIO log through jboss-logging; send that to SLF4J like everything else.
        System.setProperty("org.jboss.logging.provider", "slf4j");
        RelayConfig config;
        try {
            config = RelayConfig.fromEnvironment(System.getenv());
        } catch (ConfigException e) {
            System.err.println("sse-relay: invalid configuration:");
            e.problems().forEach(problem -> System.err.println("  " + problem));
            System.exit(2);
            return;
        }
        dieOnOutOfMemory();
        Relay relay = new Relay(config).start();
        Runtime.getRuntime().addShutdownHook(new Thread(relay::shutdown, "relay-shutdown"));
        printWelcome(relay);
    }

    /**
     * A relay whose heap ran out despite its budgets must not live on half-working: it exits, is
     * restarted, and its subscribers resume on the other replicas. The JVM flag covers every
     * thread, including errors a library catches; the handler covers a thread that dies of one
     * when the flag was not given, and the warning says how to run the relay properly.
     */
    private static void dieOnOutOfMemory() {
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            if (error instanceof OutOfMemoryError) {
                System.err.println("sse-relay: out of memory in thread " + thread.getName() + "; exiting");
                Runtime.getRuntime().halt(3);
            } else if (previous != null) {
                previous.uncaughtException(thread, error);
            } else {
                error.printStackTrace();
            }
        });
        boolean flagged = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(arg -> arg.equals("-XX:+ExitOnOutOfMemoryError") || arg.equals("-XX:+CrashOnOutOfMemoryError"));
        if (!flagged) {
            LOG.warn("the JVM was started without -XX:+ExitOnOutOfMemoryError; run the relay with"
                    + " 'java -XX:+ExitOnOutOfMemoryError -jar sse-relay.jar' so that it exits, and is restarted,"
                    + " should its heap ever run out");
        }
    }

    private static void printWelcome(Relay relay) {
        InetSocketAddress address = relay.address();
        String host = address.getAddress().isAnyLocalAddress() ? "localhost" : address.getHostString();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        String base = "http://" + host + ":" + address.getPort();
        RelayConfig config = relay.config();
        // A configured token is a secret (often from a Kubernetes Secret), and logs are read by
        // more people than may publish: only a token this relay made up for itself is shown.
        String auth = config.publishAuthDisabled() ? ""
                : "-H 'Authorization: Bearer " + (config.publishTokenGenerated() ? config.publishToken()
                        : "<the publish token>") + "' ";
        StringBuilder out = new StringBuilder();
        out.append("\nSSE relay ").append(relay.config().clustered() ? relay.self() + " " : "").append("is up at ")
                .append(base).append('\n');
        if (config.publishTokenGenerated()) {
            out.append("publish token (generated; set RELAY_PUBLISH_TOKEN to choose one): ")
                    .append(config.publishToken()).append('\n');
        }
        out.append("  subscribe: curl -N ").append(base).append("/streams/demo\n");
        out.append("  publish:   curl ").append(auth).append("-d 'hello' ").append(base).append("/streams/demo\n");
        out.append("  watch:     open ").append(base).append("/?stream=demo in a browser\n");
        out.append("  metrics:   curl http://").append(host).append(':').append(relay.adminAddress().getPort())
                .append("/metrics (the admin port)\n");
        out.append("Ctrl-C stops the relay gracefully.\n");
        System.out.println(out);
    }
}
