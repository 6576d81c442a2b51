package io.sserelay.e2e;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sserelay.api.SseRelay;
import io.sserelay.testplane.ControlPlane;
import io.sserelay.testplane.ServiceProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A platform team's day with the chart, on a real control plane with the images under podman:
 * {@code helm install}, an SseRelay that serves through its Service, {@code helm upgrade} with
 * changed values that the operator's Deployment takes and after which the operator still
 * reconciles, and {@code helm uninstall}, which leaves only what Helm documents (docs/helm.md).
 */
class HelmInstallTest {

    private static final String NAMESPACE = "helm";
    private static final String OPERATOR = LocalCluster.OPERATOR_NAMESPACE;
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration ROLLOUT = Duration.ofSeconds(90);

    private static LocalCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.fromHelmChart(REPO, NAMESPACE, Path.of("target", "relay-logs", NAMESPACE));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theOperatorIsInstalledUpgradedAndRemovedWithHelm() throws Exception {
        KubernetesClient client = cluster.plane().client();
        assertThat(cluster.helm("status", LocalCluster.HELM_RELEASE, "--namespace", OPERATOR)).contains("STATUS: deployed");

        ServiceProxy news = cluster.applyNewsSample(ROLLOUT);
        DeliveryThroughTheService.check(news, cluster.relays().relays().keySet(), "news", cluster.publishToken("news"),
                "installed with helm", ROLLOUT);

        String upgraded = cluster.helm("upgrade", LocalCluster.HELM_RELEASE, "charts/sse-relay-operator",
                "--namespace", OPERATOR, "--reset-then-reuse-values", "--set", "replicas=1", "--set", "podAnnotations.team=streams",
                "--set", "resources.limits.memory=640Mi", "--set", "resources.requests.memory=640Mi");
        assertThat(upgraded).contains("has been upgraded");
        await("the operator's Deployment rolled onto the new values").atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    Deployment operator = client.apps().deployments().inNamespace(OPERATOR)
                            .withName("sse-relay-operator").get();
                    var template = operator.getSpec().getTemplate();
                    return operator.getSpec().getReplicas() == 1
                            && "streams".equals(template.getMetadata().getAnnotations().get("team"))
                            && "640Mi".equals(template.getSpec().getContainers().get(0).getResources().getLimits()
                                    .get("memory").toString())
                            && operator.getStatus() != null
                            && Objects.equals(operator.getStatus().getObservedGeneration(),
                                    operator.getMetadata().getGeneration())
                            && Objects.equals(operator.getStatus().getUpdatedReplicas(), 1)
                            && Objects.equals(operator.getStatus().getReadyReplicas(), 1)
                            && Objects.equals(operator.getStatus().getReplicas(), 1);
                });
        // The upgraded operator still does its work: it follows a scale of the SseRelay.
        cluster.kubectl("scale", "sserelay", "news", "--replicas=2");
        cluster.awaitRelays("news", 2, ROLLOUT);
        await().atMost(ROLLOUT).until(() -> news.readyEndpoints().size() == 2);
        DeliveryThroughTheService.check(news, cluster.relays().relays().keySet(), "news", cluster.publishToken("news"),
                "after helm upgrade", ROLLOUT);

        // Dropping the CRD from a release that would not keep it would delete every SseRelay: refused.
        cluster.helm("upgrade", LocalCluster.HELM_RELEASE, "charts/sse-relay-operator", "--namespace", OPERATOR,
                "--reset-then-reuse-values", "--set", "crds.keep=false");
        assertThatThrownBy(() -> cluster.helm("upgrade", LocalCluster.HELM_RELEASE, "charts/sse-relay-operator",
                "--namespace", OPERATOR, "--reset-then-reuse-values", "--set", "crds.install=false"))
                .isInstanceOfSatisfying(ControlPlane.ToolFailed.class, failed -> assertThat(failed.output())
                        .contains("crds.install: false would make Helm delete the SseRelay CRD"));
        assertThat(client.apiextensions().v1().customResourceDefinitions().withName("sserelays.sserelay.io").get())
                .isNotNull();
        cluster.helm("upgrade", LocalCluster.HELM_RELEASE, "charts/sse-relay-operator", "--namespace", OPERATOR,
                "--reset-then-reuse-values", "--set", "crds.keep=true");

        assertThat(cluster.helm("uninstall", LocalCluster.HELM_RELEASE, "--namespace", OPERATOR))
                .contains("These resources were kept due to the resource policy",
                        "CustomResourceDefinition", "release \"sse-relay-operator\" uninstalled");
        await("everything of the release but the CRD gone").atMost(ROLLOUT).until(() ->
                client.apps().deployments().inNamespace(OPERATOR).withName("sse-relay-operator").get() == null
                        && client.serviceAccounts().inNamespace(OPERATOR).withName("sse-relay-operator").get() == null
                        && client.rbac().roles().inNamespace(OPERATOR).list().getItems().isEmpty()
                        && client.rbac().roleBindings().inNamespace(OPERATOR).list().getItems().isEmpty()
                        && client.resources(ClusterRole.class).withName("sse-relay-operator").get() == null
                        && client.resources(ClusterRoleBinding.class).withName("sse-relay-operator").get() == null
                        && client.secrets().inNamespace(OPERATOR).list().getItems().isEmpty());
        assertThat(cluster.helm("list", "--all-namespaces", "--short")).isBlank();
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
                .withName("sserelays.sserelay.io").get();
        assertThat(crd).as("kept: deleting it would delete every SseRelay").isNotNull();
        assertThat(crd.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
        assertThat(client.resources(SseRelay.class).inNamespace(NAMESPACE).withName("news").get())
                .as("the SseRelays stay with their CRD").isNotNull();
    }
}
