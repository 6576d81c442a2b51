package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RelayResourcesTest {

    private static Map<String, String> text(Map<String, Quantity> quantities) {
        return Map.copyOf(quantities.entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
                e -> e.getValue().toString())));
    }

    @Test
    void aRelayWithoutResourcesIsSizedNotBestEffort() {
        ResourceRequirements resources = RelayResources.of(null);
        assertThat(text(resources.getRequests())).isEqualTo(Map.of("cpu", "500m", "memory", "320Mi"));
        assertThat(text(resources.getLimits())).isEqualTo(Map.of("cpu", "2", "memory", "320Mi"));
        assertThat(RelayResources.processors(resources)).isEqualTo(2);
    }

    @Test
    void aMemoryRequestOrLimitGivenAloneStandsForBoth() {
        ResourceRequirements requestOnly = RelayResources.of(new ResourceRequirementsBuilder()
                .addToRequests("memory", new Quantity("1Gi")).build());
        assertThat(text(requestOnly.getLimits())).containsEntry("memory", "1Gi");
        ResourceRequirements limitOnly = RelayResources.of(new ResourceRequirementsBuilder()
                .addToLimits("memory", new Quantity("768Mi")).build());
        assertThat(text(limitOnly.getRequests())).containsEntry("memory", "768Mi");
        ResourceRequirements both = RelayResources.of(new ResourceRequirementsBuilder()
                .addToRequests("memory", new Quantity("512Mi")).addToLimits("memory", new Quantity("1Gi")).build());
        assertThat(text(both.getRequests())).containsEntry("memory", "512Mi");
        assertThat(text(both.getLimits())).containsEntry("memory", "1Gi");
    }

    @Test
    void cpuIsTakenAsGivenAndTheJvmCountsTheLimitOrElseTheRequest() {
        ResourceRequirements requestOnly = RelayResources.of(new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("3500m")).build());
        assertThat(requestOnly.getLimits()).doesNotContainKey("cpu");
        assertThat(RelayResources.processors(requestOnly)).isEqualTo(4);
        ResourceRequirements limited = RelayResources.of(new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("1")).addToLimits("cpu", new Quantity("6")).build());
        assertThat(RelayResources.processors(limited)).isEqualTo(6);
        ResourceRequirements small = RelayResources.of(new ResourceRequirementsBuilder()
                .addToLimits("cpu", new Quantity("250m")).build());
        assertThat(RelayResources.processors(small)).isEqualTo(2);
        assertThat(small.getRequests()).doesNotContainKey("cpu"); // the API server sets it to the limit
    }

    @Test
    void otherResourcesAndClaimsArePassedOn() {
        ResourceRequirements spec = new ResourceRequirementsBuilder()
                .addToLimits("ephemeral-storage", new Quantity("1Gi")).build();
        assertThat(text(RelayResources.of(spec).getLimits())).containsEntry("ephemeral-storage", "1Gi")
                .containsEntry("memory", "320Mi").containsEntry("cpu", "2");
    }
}
