package io.sserelay.relay.config;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.relay.RelayEnvironment;
import io.sserelay.api.relay.RelayVariables;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract between the SseRelay CRD and the relay process: what the CRD fills in by default
 * reaches the relay as the very configuration the relay has when nothing is set, and every
 * variable of the contract is documented.
 */
class RelayContractTest {

    private static final Path CRD = Path.of("..", "crds", "sserelays.sserelay.io-v1.yml");
    private static final long HEAP = 512L << 20;
    /**
     * Every default in the CRD, and the relay variable it becomes; empty for a default that is the
     * operator's alone (the Deployment's, the Service's, a Secret reference's) or that the relay
     * gets by being told nothing (a mode or flag at the relay's own default). A default added to
     * the CRD fails the test until it is listed here.
     */
    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("replicas", ""),
            Map.entry("service.type", ""),
            Map.entry("service.port", ""),
            Map.entry("publishAuth.mode", ""),
            Map.entry("publishAuth.disabled", ""),
            Map.entry("subscribeAuth.mode", ""),
            Map.entry("history.maxEvents", RelayVariables.HISTORY_MAX_EVENTS),
            Map.entry("history.maxAge", RelayVariables.HISTORY_MAX_AGE),
            Map.entry("history.maxStreams", RelayVariables.HISTORY_MAX_STREAMS),
            Map.entry("history.maxTombstones", RelayVariables.HISTORY_MAX_TOMBSTONES),
            Map.entry("heartbeat", RelayVariables.HEARTBEAT),
            Map.entry("maxEventBytes", RelayVariables.MAX_EVENT_BYTES),
            Map.entry("subscriberBufferBytes", RelayVariables.SUBSCRIBER_BUFFER_BYTES),
            Map.entry("maxConnectionsPerAddress", RelayVariables.MAX_CONNECTIONS_PER_ADDRESS),
            Map.entry("publishAck.mode", RelayVariables.PUBLISH_ACK),
            Map.entry("publishAck.timeout", RelayVariables.PUBLISH_ACK_TIMEOUT));

    @Test
    void theCrdsDefaultsGiveTheRelayTheConfigurationItHasWhenNothingIsSet() throws IOException {
        Map<String, Object> defaults = defaultsOf(specSchema());
        assertThat(leaves("", defaults)).as("the CRD's defaults, each listed in DEFAULTS")
                .containsExactlyInAnyOrderElementsOf(DEFAULTS.keySet());
        Map<String, String> fromDefaults = variablesOf(defaults);
        assertThat(fromDefaults.keySet()).as("the variables the CRD's defaults set")
                .containsExactlyInAnyOrderElementsOf(DEFAULTS.values().stream().filter(v -> !v.isEmpty()).toList());
        RelayConfig configured = RelayConfig.fromEnvironment(fromDefaults, HEAP);
        RelayConfig unset = RelayConfig.fromEnvironment(Map.of(), HEAP);
        assertThat(configured).usingRecursiveComparison().ignoringFields("publishToken").isEqualTo(unset);
    }

    @Test
    void aDefaultThatDiffersFromTheRelaysIsCaught() throws IOException {
        // The comparison above is not vacuous: one default changed in the CRD shows in it.
        Map<String, Object> defaults = defaultsOf(specSchema());
        @SuppressWarnings("unchecked")
        Map<String, Object> history = (Map<String, Object>) defaults.get("history");
        history.put("maxEvents", 999);
        RelayConfig configured = RelayConfig.fromEnvironment(variablesOf(defaults), HEAP);
        assertThat(configured).usingRecursiveComparison().ignoringFields("publishToken")
                .isNotEqualTo(RelayConfig.fromEnvironment(Map.of(), HEAP));
    }

    @Test
    void everyVariableOfTheContractIsDocumented() throws IOException, IllegalAccessException {
        String docs = Files.readString(Path.of("..", "docs", "relay.md"));
        List<String> undocumented = new ArrayList<>();
        for (Field field : RelayVariables.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                String name = (String) field.get(null);
                if (!docs.contains("`" + name + "`")) {
                    undocumented.add(name);
                }
            }
        }
        assertThat(undocumented).as("variables missing from docs/relay.md").isEmpty();
    }

    private static JSONSchemaProps specSchema() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(CRD), CustomResourceDefinition.class);
        return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    }

    /**
     * Every default the schema can fill in: each property's, and inside each object a user may
     * write empty (none of its fields required) that object's, as the API server fills them into
     * an object that is present, {@code history: {}} for one.
     */
    private static Map<String, Object> defaultsOf(JSONSchemaProps schema) {
        Map<String, Object> defaults = new LinkedHashMap<>();
        if (schema.getProperties() == null) {
            return defaults;
        }
        schema.getProperties().forEach((name, property) -> {
            if (property.getDefault() != null) {
                defaults.put(name, Serialization.jsonMapper().convertValue(property.getDefault(), Object.class));
            } else if ("object".equals(property.getType())
                    && (property.getRequired() == null || property.getRequired().isEmpty())) {
                Map<String, Object> inner = defaultsOf(property);
                if (!inner.isEmpty()) {
                    defaults.put(name, inner);
                }
            }
        });
        return defaults;
    }

    /**
     * The variables a relay gets for a spec holding {@code fields}, less those every relay gets
     * whatever its spec says (its identity, ports and Secrets).
     */
    private static Map<String, String> variablesOf(Map<String, Object> fields) {
        SseRelaySpec spec = Serialization.jsonMapper().convertValue(fields, SseRelaySpec.class);
        Map<String, String> variables = new LinkedHashMap<>(values(spec));
        values(new SseRelaySpec()).keySet().forEach(variables::remove);
        return variables;
    }

    /** The paths ({@code history.maxAge}) of the values in {@code tree}. */
    @SuppressWarnings("unchecked")
    private static List<String> leaves(String prefix, Map<String, Object> tree) {
        List<String> paths = new ArrayList<>();
        tree.forEach((name, value) -> {
            if (value instanceof Map<?, ?> inner) {
                paths.addAll(leaves(prefix + name + ".", (Map<String, Object>) inner));
            } else {
                paths.add(prefix + name);
            }
        });
        return paths;
    }

    /** The variables with a value of their own (not from a Secret or the pod) that a relay of {@code spec} gets. */
    private static Map<String, String> values(SseRelaySpec spec) {
        SseRelay relay = new SseRelay();
        relay.getMetadata().setName("news");
        relay.setSpec(spec);
        return RelayEnvironment.of(relay, "news-peer-token", "news-publish-token").stream()
                .filter(env -> env.getValue() != null && env.getName().startsWith("RELAY_"))
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }
}
