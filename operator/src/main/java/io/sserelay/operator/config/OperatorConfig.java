package io.sserelay.operator.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The operator's configuration, read once at start-up from {@code SSERELAY_*} environment
 * variables; see docs/operator.md.
 *
 * @param relayImage      the relay image for SseRelays that name none
 * @param namespaces      the namespaces to watch; empty for all
 * @param leaderElection  whether replicas of the operator elect a leader with a Lease
 * @param leaseNamespace  where the Lease lives; null for the operator's own namespace
 * @param healthAddress   the address /healthz, /readyz and /metrics listen on
 * @param healthPort      their port
 */
public record OperatorConfig(String relayImage, Set<String> namespaces, boolean leaderElection, String leaseNamespace,
        String healthAddress, int healthPort) {

    public static final String LEASE_NAME = "sse-relay-operator";
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public static OperatorConfig fromEnvironment(Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        String image = trimmed(env.get("SSERELAY_RELAY_IMAGE"));
        if (image == null) {
            image = "sserelay/relay:" + version();
        } else if (image.chars().anyMatch(Character::isWhitespace)) {
            problems.add("SSERELAY_RELAY_IMAGE='" + image + "' must not contain spaces");
        }
        Set<String> namespaces = new LinkedHashSet<>();
        String list = trimmed(env.get("SSERELAY_WATCH_NAMESPACES"));
        if (list != null) {
            for (String namespace : list.split(",")) {
                String name = namespace.trim();
                if (name.isEmpty()) {
                    continue;
                }
                if (!NAMESPACE.matcher(name).matches()) {
                    problems.add("SSERELAY_WATCH_NAMESPACES: '" + name + "' is not a namespace name");
                }
                namespaces.add(name);
            }
        }
        boolean leaderElection = true;
        String election = trimmed(env.get("SSERELAY_LEADER_ELECTION"));
        if (election != null) {
            switch (election.toLowerCase(Locale.ROOT)) {
                case "true" -> leaderElection = true;
                case "false" -> leaderElection = false;
                default -> problems.add("SSERELAY_LEADER_ELECTION='" + election + "' must be true or false");
            }
        }
        String leaseNamespace = trimmed(env.get("SSERELAY_LEASE_NAMESPACE"));
        if (leaseNamespace != null && !NAMESPACE.matcher(leaseNamespace).matches()) {
            problems.add("SSERELAY_LEASE_NAMESPACE='" + leaseNamespace + "' is not a namespace name");
        }
        String healthAddress = trimmed(env.get("SSERELAY_HEALTH_ADDRESS"));
        if (healthAddress == null) {
            healthAddress = "0.0.0.0";
        } else if (healthAddress.chars().anyMatch(Character::isWhitespace)) {
            problems.add("SSERELAY_HEALTH_ADDRESS='" + healthAddress + "' must not contain spaces");
        }
        int healthPort = 8081;
        String port = trimmed(env.get("SSERELAY_HEALTH_PORT"));
        if (port != null) {
            try {
                healthPort = Integer.parseInt(port);
                if (healthPort < 0 || healthPort > 65535) {
                    problems.add("SSERELAY_HEALTH_PORT='" + port + "' must be between 0 and 65535");
                }
            } catch (NumberFormatException e) {
                problems.add("SSERELAY_HEALTH_PORT='" + port + "' is not a whole number");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        return new OperatorConfig(image, Set.copyOf(namespaces), leaderElection, leaseNamespace, healthAddress,
                healthPort);
    }

    private static String trimmed(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static String version() {
        String version = OperatorConfig.class.getPackage().getImplementationVersion();
        return version == null ? "latest" : version;
    }
}
