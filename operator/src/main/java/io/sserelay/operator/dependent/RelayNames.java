package io.sserelay.operator.dependent;

import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The names and labels of the objects the operator owns for one SseRelay. */
public final class RelayNames {

    /** Selects a relay's pods; also how the operator maps a pod back to its SseRelay. */
    public static final String RELAY_LABEL = "sserelay.io/relay";
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "sse-relay-operator";
    /** The label selector of everything the operator creates, so its informers watch only that. */
    public static final String MANAGED_SELECTOR = MANAGED_BY_LABEL + "=" + MANAGED_BY;
    /** The relay's container in its pods; its status says whether the relay process has started. */
    public static final String RELAY_CONTAINER = "relay";

    private RelayNames() {
    }

    public static String deployment(SseRelay relay) {
        return relay.getMetadata().getName();
    }

    public static String service(SseRelay relay) {
        return relay.getMetadata().getName();
    }

    public static String peerTokenSecret(SseRelay relay) {
        return relay.getMetadata().getName() + "-peer-token";
    }

    public static String publishTokenSecret(SseRelay relay) {
        return relay.getMetadata().getName() + "-publish-token";
    }

    /**
     * The Secrets of the user's that the spec names (tokens and keys), in the SseRelay's
     * namespace; the relays read them at start.
     */
    public static Set<String> namedSecrets(SseRelay relay) {
        Set<String> names = new TreeSet<>();
        SseRelaySpec spec = relay.getSpec();
        if (spec.getPublishAuth() != null && spec.getPublishAuth().getSecretRef() != null) {
            names.add(spec.getPublishAuth().getSecretRef().getName());
        }
        if (spec.getSubscribeAuth() != null && spec.getSubscribeAuth().getSecretRef() != null) {
            names.add(spec.getSubscribeAuth().getSecretRef().getName());
        }
        if (spec.getJwt() != null && spec.getJwt().getHmacSecretRef() != null) {
            names.add(spec.getJwt().getHmacSecretRef().getName());
        }
        if (spec.getJwt() != null && spec.getJwt().getPublicKeysSecretRef() != null) {
            names.add(spec.getJwt().getPublicKeysSecretRef().getName());
        }
        return names;
    }

    /** ServiceAccount, Role and RoleBinding of the relay pods. */
    public static String relayIdentity(SseRelay relay) {
        return relay.getMetadata().getName() + "-relay";
    }

    public static String networkPolicy(SseRelay relay) {
        return relay.getMetadata().getName() + "-relay";
    }

    public static String autoscaler(SseRelay relay) {
        return relay.getMetadata().getName();
    }

    public static String disruptionBudget(SseRelay relay) {
        return relay.getMetadata().getName();
    }

    /** The labels that select the relay's pods. */
    public static Map<String, String> selector(SseRelay relay) {
        return Map.of(RELAY_LABEL, relay.getMetadata().getName());
    }

    public static String selectorString(SseRelay relay) {
        return RELAY_LABEL + "=" + relay.getMetadata().getName();
    }

    /** The labels of every object the operator creates for {@code relay}. */
    public static Map<String, String> labels(SseRelay relay) {
        return Map.of(
                RELAY_LABEL, relay.getMetadata().getName(),
                "app.kubernetes.io/name", "sse-relay",
                "app.kubernetes.io/instance", relay.getMetadata().getName(),
                MANAGED_BY_LABEL, MANAGED_BY);
    }
}
