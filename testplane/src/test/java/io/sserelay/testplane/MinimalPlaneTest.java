package io.sserelay.testplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MinimalPlaneTest {

    private static final String GROUP = "testplane.sserelay.io";
    private static final String CEL_MESSAGE = "minReplicas must not exceed maxReplicas";
    private static final ResourceDefinitionContext WIDGETS = new ResourceDefinitionContext.Builder()
            .withGroup(GROUP).withVersion("v1").withKind("Widget").withPlural("widgets").withNamespaced(true).build();

    @AutoClose
    private static MinimalPlane plane;
    private static KubernetesClient client;

    @BeforeAll
    static void startPlane() {
        plane = MinimalPlane.start();
        client = plane.client();
    }

    @Test
    void servesTheKubernetesVersionTheBuildPins() {
        assertThat(client.getKubernetesVersion().getGitVersion()).isEqualTo("v" + PlaneBinaries.KUBERNETES_VERSION);
    }

    @Test
    void rejectsAnObjectThatViolatesACelRuleWithTheRulesMessage() {
        installWidgetCrd();
        var widgets = client.genericKubernetesResources(WIDGETS).inNamespace("default");

        var valid = widgets.resource(widget("fits", 1, 3)).create();
        assertThat(valid.getMetadata().getUid()).isNotBlank();

        assertThatThrownBy(() -> widgets.resource(widget("inverted", 5, 2)).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getStatus().getMessage()).contains(CEL_MESSAGE);
                });
        assertThat(widgets.withName("inverted").get()).isNull();
    }

    @Test
    void serverSideApplyCreatesAndThenUpdatesAnObject() {
        var configMaps = client.configMaps().inNamespace("default");

        ConfigMap created = configMaps.resource(settings(Map.of("colour", "red")))
                .fieldManager("testplane-test").forceConflicts().serverSideApply();
        assertThat(created.getData()).containsExactly(Map.entry("colour", "red"));

        ConfigMap updated = configMaps.resource(settings(Map.of("colour", "blue", "size", "L")))
                .fieldManager("testplane-test").forceConflicts().serverSideApply();

        assertThat(updated.getMetadata().getUid()).isEqualTo(created.getMetadata().getUid());
        assertThat(updated.getMetadata().getResourceVersion()).isNotEqualTo(created.getMetadata().getResourceVersion());
        assertThat(configMaps.withName("applied").get().getData())
                .containsOnly(Map.entry("colour", "blue"), Map.entry("size", "L"));
        assertThat(updated.getMetadata().getManagedFields())
                .extracting(ManagedFieldsEntry::getManager, ManagedFieldsEntry::getOperation)
                .containsExactly(tuple("testplane-test", "Apply"));
    }

    private static ConfigMap settings(Map<String, String> data) {
        return new ConfigMapBuilder().withNewMetadata().withName("applied").endMetadata().withData(data).build();
    }

    private static void installWidgetCrd() {
        JSONSchemaProps replicas = new JSONSchemaPropsBuilder().withType("integer").build();
        JSONSchemaProps spec = new JSONSchemaPropsBuilder()
                .withType("object")
                .addToProperties("minReplicas", replicas)
                .addToProperties("maxReplicas", replicas)
                .withXKubernetesValidations(new ValidationRuleBuilder()
                        .withRule("self.minReplicas <= self.maxReplicas")
                        .withMessage(CEL_MESSAGE)
                        .build())
                .build();
        CustomResourceDefinition crd = new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("widgets." + GROUP).endMetadata()
                .withNewSpec()
                .withGroup(GROUP)
                .withScope("Namespaced")
                .withNewNames().withKind("Widget").withPlural("widgets").withSingular("widget").endNames()
                .addNewVersion()
                .withName("v1").withServed(true).withStorage(true)
                .withNewSchema()
                .withOpenAPIV3Schema(new JSONSchemaPropsBuilder().withType("object").addToProperties("spec", spec).build())
                .endSchema()
                .endVersion()
                .endSpec()
                .build();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).serverSideApply();
        await("the Widget CRD to be established").atMost(Duration.ofSeconds(30)).until(() -> {
            var current = client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).get();
            return current.getStatus() != null && current.getStatus().getConditions().stream()
                    .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
        });
    }

    private static GenericKubernetesResource widget(String name, int minReplicas, int maxReplicas) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(GROUP + "/v1")
                .withKind("Widget")
                .withNewMetadata().withName(name).endMetadata()
                .addToAdditionalProperties("spec", Map.of("minReplicas", minReplicas, "maxReplicas", maxReplicas))
                .build();
    }
}
