package io.sserelay.operator;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.junit.LocallyRunOperatorExtension;
import io.sserelay.api.SseRelay;
import io.sserelay.operator.dependent.RelayNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What a person does with kubectl: apply the sample, read the SseRelays, install from config/. */
class KubectlTest {

    @RegisterExtension
    static final LocallyRunOperatorExtension operator = OperatorTestPlane.operatorExtension("sserelay/relay:test");

    @Test
    void applyingTheSampleAndGettingSseRelaysShowsTheColumnsAndValues() {
        assertThat(kubectl("apply", "-f", "config/samples/news.yaml")).isEqualTo("sserelay.sserelay.io/news created\n");
        await().until(() -> operator.get(Deployment.class, "news") != null);
        for (int i = 0; i < 3; i++) {
            runningPod("news-" + i, "127.0.1." + (30 + i));
        }
        await().until(() -> {
            SseRelay relay = operator.get(SseRelay.class, "news");
            return relay.getStatus() != null && Integer.valueOf(3).equals(relay.getStatus().getReadyReplicas());
        });
        List<String> lines = kubectl("get", "sserelays").lines().toList();
        assertThat(lines.get(0).split("\\s+")).containsExactly("NAME", "REPLICAS", "READY", "PEERS", "ENDPOINT", "AGE");
        String[] row = lines.get(1).split("\\s+");
        assertThat(row).hasSize(6);
        assertThat(List.of(row).subList(0, 5)).containsExactly("news", "3", "3", "3",
                "http://news." + operator.getNamespace() + ".svc:80");
        assertThat(row[5]).matches("\\d+s");
        assertThat(kubectl("get", "ssr", "news", "-o", "jsonpath={.status.peers[*].ip}"))
                .isEqualTo("127.0.1.30 127.0.1.31 127.0.1.32");

        assertThat(kubectl("scale", "sserelay", "news", "--replicas=5")).isEqualTo("sserelay.sserelay.io/news scaled\n");
        await().until(() -> operator.get(Deployment.class, "news").getSpec().getReplicas() == 5);
        String[] scaled = kubectl("get", "sserelays", "--no-headers").trim().split("\\s+");
        assertThat(List.of(scaled).subList(0, 4)).as("five wanted, three running").containsExactly("news", "5", "3", "3");
    }

    @Test
    void theDefaultInstallationIsAcceptedByTheApiServer() {
        String output = kubectlWithoutNamespace("apply", "--dry-run=server", "-k", "config/default");
        assertThat(output).contains(
                "namespace/sse-relay-system",
                "customresourcedefinition.apiextensions.k8s.io/sserelays.sserelay.io",
                "serviceaccount/sse-relay-operator",
                "clusterrole.rbac.authorization.k8s.io/sse-relay-operator",
                "clusterrolebinding.rbac.authorization.k8s.io/sse-relay-operator",
                "deployment.apps/sse-relay-operator");
    }

    @Test
    void theMonitoringComponentRendersBesideTheDefaultInstallation() {
        String rendered = kubectlWithoutNamespace("kustomize", "config/default-with-monitoring");
        assertThat(rendered).contains("kind: PodMonitor", "kind: PrometheusRule", "name: sse-relay-dashboard",
                "grafana_dashboard: \"1\"", "sse-relay.json: |", "kind: Deployment");
    }

    private static void runningPod(String name, String ip) {
        operator.create(new PodBuilder()
                .withNewMetadata().withName(name)
                .withLabels(Map.of(RelayNames.RELAY_LABEL, "news", RelayNames.MANAGED_BY_LABEL, RelayNames.MANAGED_BY))
                .endMetadata()
                .withNewSpec().addNewContainer().withName("relay").withImage("sserelay/relay:test").endContainer().endSpec()
                .build());
        var pod = operator.get(io.fabric8.kubernetes.api.model.Pod.class, name);
        pod.getStatus().setPhase("Running");
        pod.getStatus().setPodIP(ip);
        pod.getStatus().setContainerStatuses(List.of(new ContainerStatusBuilder()
                .withName("relay").withImage("sserelay/relay:test").withImageID("").withRestartCount(0)
                .withStarted(true).withReady(true).build()));
        pod.getStatus().setConditions(List.of(new PodConditionBuilder().withType("Ready").withStatus("True").build()));
        OperatorTestPlane.adminClient().resource(pod).updateStatus();
    }

    /** The plane's kubectl in the repository root, in the test namespace. */
    private static String kubectl(String... args) {
        List<String> all = new ArrayList<>(List.of("-n", operator.getNamespace()));
        all.addAll(List.of(args));
        return kubectlWithoutNamespace(all.toArray(String[]::new));
    }

    private static String kubectlWithoutNamespace(String... args) {
        return OperatorTestPlane.plane().kubectl(OperatorTestPlane.REPO, args);
    }
}
