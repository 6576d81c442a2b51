package io.sserelay.relay;

import io.sserelay.relay.config.ConfigException;
import io.sserelay.relay.config.RelayConfig;

import java.net.InetSocketAddress;

/**
 * Starts a relay configured from the environment and stops it gracefully on SIGTERM.
 * Exits with status 2 and a list of problems when the configuration is invalid.
 */
public final class RelayMain {

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
        Relay relay = new Relay(config).start();
        Runtime.getRuntime().addShutdownHook(new Thread(relay::shutdown, "relay-shutdown"));
        printWelcome(relay);
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
        out.append("\nSSE relay ").append(relay.origin()).append(" is up at ").append(base).append('\n');
        if (config.publishTokenGenerated()) {
            out.append("publish token (generated; set RELAY_PUBLISH_TOKEN to choose one): ")
                    .append(config.publishToken()).append('\n');
        }
        out.append("  subscribe: curl -N ").append(base).append("/streams/demo\n");
        out.append("  publish:   curl ").append(auth).append("-d 'hello' ").append(base).append("/streams/demo\n");
        out.append("  watch:     open ").append(base).append("/?stream=demo in a browser\n");
        out.append("Ctrl-C stops the relay gracefully.\n");
        System.out.println(out);
    }
}
