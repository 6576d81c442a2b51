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

    @Test
    void theCrdsDefaultsGiveTheRelayTheConfigurationItHasWhenNothingIsSet() throws IOException {
        Map<String, String> fromDefaults = variablesOf(defaultsOf(specSchema()));
        assertThat(fromDefaults).as("the variables the CRD's defaults set")
                .containsKeys(RelayVariables.HISTORY_MAX_EVENTS, RelayVariables.HISTORY_MAX_AGE,
                        RelayVariables.HISTORY_MAX_STREAMS, RelayVariables.HISTORY_MAX_TOMBSTONES,
                        RelayVariables.HEARTBEAT, RelayVariables.MAX_EVENT_BYTES, RelayVariables.SUBSCRIBER_BUFFER_BYTES,
                        RelayVariables.MAX_CONNECTIONS_PER_ADDRESS, RelayVariables.PUBLISH_ACK,
                        RelayVariables.PUBLISH_ACK_TIMEOUT);
        RelayConfig configured = RelayConfig.fromEnvironment(fromDefaults, HEAP);
        RelayConfig unset = RelayConfig.fromEnvironment(Map.of(), HEAP);
        assertThat(configured).usingRecursiveComparison().ignoringFields("publishToken").isEqualTo(unset);
    }

    @Test
    void aDefaultThatDiffersFromTheRelaysIsCaught() throws IOException {
        // The comparison above is not vacuous: one default changed in the CRD shows.
        Map<String, Object> defaults = defaultsOf(specSchema());
        @SuppressWarnings("unchecked")
        Map<String, Object> history = (Map<String, Object>) defaults.get("history");
        history.put("maxEvents", 999);
        RelayConfig configured = RelayConfig.fromEnvironment(variablesOf(defaults), HEAP);
        assertThat(configured.history().maxEventsPerStream()).isNotEqualTo(
                RelayConfig.fromEnvironment(Map.of(), HEAP).history().maxEventsPerStream());
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
     * What the API server fills into a spec written as {@code {}}: each property's default, and
     * inside each object a user may write empty (none of its fields required), that object's.
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
