package io.sserelay.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sserelay.testplane.ControlPlane;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Helm chart and kustomize's config/ are one product: for the same settings they produce the
 * same objects, the chart's copies of config/'s files are current, and a wrong value fails at
 * {@code helm install} with a message that names it. Runs the helm that scripts/provision-k8s.sh
 * builds. Installing for real is {@code HelmInstallTest} in the e2e module.
 */
class HelmChartTest {

    private static final Path CHART = OperatorTestPlane.REPO.resolve("charts/sse-relay-operator");
    /** The chart's files/ and where each comes from: config/ and the generated CRD are their one home. */
    private static final Map<String, String> COPIED = Map.of(
            "sserelays.sserelay.io-v1.yml", "crds/sserelays.sserelay.io-v1.yml",
            "cluster_role.yaml", "config/rbac/rules/cluster_role.yaml",
            "pod-monitor.yaml", "config/monitoring/pod-monitor.yaml",
            "prometheus-rule.yaml", "config/monitoring/prometheus-rule.yaml",
            "dashboard.json", "config/monitoring/dashboard.json");
    /** Labels a Helm release adds to what it installs, which kustomize's objects do not carry. */
    private static final List<String> RELEASE_LABELS = List.of("helm.sh/chart", "app.kubernetes.io/instance",
            "app.kubernetes.io/version");

    @Test
    void theChartPassesHelmLintStrictly() {
        String output = helm("lint", "charts/sse-relay-operator", "--strict");
        assertThat(output).contains("1 chart(s) linted, 0 chart(s) failed");
    }

    @Test
    void theChartsFilesAreCopiesOfTheirSourcesInConfigAndCrds() throws IOException {
        boolean update = Boolean.getBoolean("sserelay.updateChart");
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, String> copy : COPIED.entrySet()) {
            Path source = OperatorTestPlane.REPO.resolve(copy.getValue());
            Path target = CHART.resolve("files").resolve(copy.getKey());
            if (Files.exists(target) && Files.mismatch(source, target) == -1) {
                continue;
            }
            if (update) {
                Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else {
                stale.add(copy.getValue() + " -> charts/sse-relay-operator/files/" + copy.getKey());
            }
        }
        assertThat(stale).as("copies to refresh with: ./mvnw -pl operator test -Dtest=HelmChartTest"
                + " -Dsserelay.updateChart=true").isEmpty();
    }

    @Test
    void theChartVersionIsTheProjectsAndItsImagesAreTheImagesConfigDefaultInstalls() throws IOException {
        String version = System.getProperty("sserelay.projectVersion");
        assertThat(version).as("set by the build (pom.xml, surefire)").isNotBlank();
        String chart = Files.readString(CHART.resolve("Chart.yaml"));
        assertThat(chart).contains("\nversion: " + version + "\n", "\nappVersion: " + version + "\n");
    }

    @Test
    void withNoValuesTheChartInstallsWhatConfigDefaultInstalls() {
        assertThat(chart()).isEqualTo(kustomize("config/default"));
    }

    @Test
    void watchingListedNamespacesInstallsWhatConfigNamespacedInstalls() {
        assertThat(chart("--set", "watchNamespaces={apps}")).isEqualTo(kustomize("config/namespaced"));
    }

    @Test
    void monitoringInstallsWhatConfigDefaultWithMonitoringInstalls() {
        assertThat(chart("--set", "monitoring.enabled=true")).isEqualTo(kustomize("config/default-with-monitoring"));
    }

    @Test
    void eachPartOfMonitoringCanBeLeftOut() {
        assertThat(chart("--set", "monitoring.enabled=true", "--set", "monitoring.dashboard=false").keySet())
                .contains("PodMonitor/sse-relay-system/sse-relay", "PrometheusRule/sse-relay-system/sse-relay")
                .doesNotContain("ConfigMap/sse-relay-system/sse-relay-dashboard");
        assertThat(chart("--set", "monitoring.enabled=true", "--set", "monitoring.podMonitor=false",
                "--set", "monitoring.rules=false").keySet())
                .contains("ConfigMap/sse-relay-system/sse-relay-dashboard")
                .doesNotContain("PodMonitor/sse-relay-system/sse-relay", "PrometheusRule/sse-relay-system/sse-relay");
        assertThat(chart("--set", "monitoring.dashboard=true").keySet()).as("nothing without enabled")
                .doesNotContain("ConfigMap/sse-relay-system/sse-relay-dashboard");
    }

    @Test
    void monitoringTakesThePrometheusSelectorsLabelAndOnlyTheWatchedNamespaces() {
        Map<String, Map<String, Object>> objects = chart("--set", "monitoring.enabled=true",
                "--set", "monitoring.labels.release=kube-prometheus-stack", "--set", "watchNamespaces={apps,web}");
        String podMonitor = Serialization.asYaml(objects.get("PodMonitor/sse-relay-system/sse-relay"));
        assertThat(podMonitor).contains("release: \"kube-prometheus-stack\"", "matchNames:", "- \"apps\"", "- \"web\"")
                .doesNotContain("any: true");
        assertThat(Serialization.asYaml(objects.get("PrometheusRule/sse-relay-system/sse-relay")))
                .contains("release: \"kube-prometheus-stack\"");
    }

    @Test
    void imagesCanBePinnedByDigest() {
        String digest = "sha256:" + "0123456789abcdef".repeat(4);
        String yaml = Serialization.asYaml(chart("--set", "image.digest=" + digest, "--set", "relayImage.digest=" + digest)
                .get("Deployment/sse-relay-system/sse-relay-operator"));
        assertThat(yaml).contains("image: \"sserelay/operator@" + digest + "\"",
                "value: \"sserelay/relay@" + digest + "\"");
    }

    @Test
    void theChartWorksAsASubchartWhoseParentSharesGlobalValues() {
        assertThat(chart("--set", "global.imageRegistry=registry.example.com")).isEqualTo(kustomize("config/default"));
    }

    @Test
    void changedValuesReachTheOperatorsDeployment() {
        Map<String, Object> deployment = chart("--set", "image.tag=1.2.3", "--set", "relayImage.repository=registry.example.com/relay",
                "--set", "replicas=1", "--set", "leaderElection=false", "--set", "resources.limits.memory=1Gi")
                .get("Deployment/sse-relay-system/sse-relay-operator");
        String yaml = Serialization.asYaml(deployment);
        assertThat(yaml).contains("image: \"sserelay/operator:1.2.3\"", "value: \"registry.example.com/relay:0.1.0-SNAPSHOT\"",
                "replicas: 1", "name: \"SSERELAY_LEADER_ELECTION\"", "memory: \"1Gi\"");
        assertThat(chart("--set", "leaderElection=false", "--set", "replicas=1"))
                .doesNotContainKey("Role/sse-relay-system/sse-relay-operator-leader-election");
    }

    @Test
    void withoutTheCrdOrWithoutKeepingItTheChartSaysSo() {
        assertThat(chart("--set", "crds.install=false")).doesNotContainKey("CustomResourceDefinition//sserelays.sserelay.io");
        String rendered = helm("template", "sse-relay-operator", "charts/sse-relay-operator", "--namespace",
                "sse-relay-system", "--set", "crds.keep=false");
        assertThat(rendered).contains("kind: CustomResourceDefinition").doesNotContain("helm.sh/resource-policy");
        assertThat(helm("template", "sse-relay-operator", "charts/sse-relay-operator"))
                .contains("helm.sh/resource-policy: keep");
    }

    @Test
    void aWrongValueFailsWithAMessageThatNamesIt() {
        assertRefused("replicas=two", "at '/replicas': got string, want integer");
        assertRefused("replics=3", "additional properties 'replics' not allowed");
        assertRefused("watchNamespaces={Apps}", "at '/watchNamespaces/0': 'Apps' does not match pattern");
        assertRefused("image.pullPolicy=Sometimes", "at '/image/pullPolicy': value must be one of");
        assertRefused("crds.install=yes", "at '/crds/install': got string, want boolean");
        assertRefused("resources.limits.memory=lots", "at '/resources/limits/memory'");
        assertRefused("leaderElection=false", "leaderElection: false needs replicas: 1, not 2");
        assertRefused("podLabels.app\\.kubernetes\\.io/name=other", "at '/podLabels/app.kubernetes.io~1name'");
        assertRefused("image.digest=latest", "at '/image/digest': 'latest' does not match pattern");
    }

    private static void assertRefused(String value, String message) {
        assertThatThrownBy(() -> helm("template", "x", "charts/sse-relay-operator", "--set", value))
                .isInstanceOfSatisfying(ControlPlane.ToolFailed.class,
                        failed -> assertThat(failed.output()).as(value).contains(message));
    }

    /** The chart's objects for a release named as config/ names the operator, in config/'s namespace. */
    private static Map<String, Map<String, Object>> chart(String... values) {
        List<String> arguments = new ArrayList<>(List.of("template", "sse-relay-operator", "charts/sse-relay-operator",
                "--namespace", OperatorTestPlane.OPERATOR_NAMESPACE));
        arguments.addAll(List.of(values));
        return objects(helm(arguments.toArray(String[]::new)), true);
    }

    /**
     * kustomize's objects, without the Namespace: Helm installs into a namespace that exists, or
     * that {@code helm install --create-namespace} makes, and never owns it.
     */
    private static Map<String, Map<String, Object>> kustomize(String directory) {
        Map<String, Map<String, Object>> objects = objects(
                OperatorTestPlane.plane().kubectl(OperatorTestPlane.REPO, "kustomize", directory), false);
        objects.remove("Namespace//" + OperatorTestPlane.OPERATOR_NAMESPACE);
        return objects;
    }

    /**
     * Each object by kind, namespace and name, as the API server would read it, without what only
     * a Helm release adds: its labels, its selector's instance label, and the CRD's keep policy.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> objects(String yaml, boolean fromHelm) {
        List<HasMetadata> items = OperatorTestPlane.plane().client()
                .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
        Map<String, Map<String, Object>> objects = new TreeMap<>();
        for (HasMetadata item : items) {
            Map<String, Object> object = Serialization.jsonMapper().convertValue(item, Map.class);
            if (fromHelm) {
                Map<String, Object> metadata = (Map<String, Object>) object.get("metadata");
                withoutReleaseKeys(metadata, "labels", RELEASE_LABELS);
                Map<String, Object> labels = (Map<String, Object>) metadata.get("labels");
                if (labels != null && "Helm".equals(labels.get("app.kubernetes.io/managed-by"))) {
                    withoutReleaseKeys(metadata, "labels", List.of("app.kubernetes.io/managed-by"));
                }
                withoutReleaseKeys(metadata, "annotations", List.of("helm.sh/resource-policy"));
                if (item.getKind().equals("Deployment")) {
                    Map<String, Object> spec = (Map<String, Object>) object.get("spec");
                    withoutReleaseKeys((Map<String, Object>) spec.get("selector"), "matchLabels", RELEASE_LABELS);
                    Map<String, Object> template = (Map<String, Object>) spec.get("template");
                    withoutReleaseKeys((Map<String, Object>) template.get("metadata"), "labels", RELEASE_LABELS);
                }
            }
            String namespace = item.getMetadata().getNamespace() == null ? "" : item.getMetadata().getNamespace();
            objects.put(item.getKind() + "/" + namespace + "/" + item.getMetadata().getName(), object);
        }
        return objects;
    }

    @SuppressWarnings("unchecked")
    private static void withoutReleaseKeys(Map<String, Object> parent, String field, List<String> keys) {
        Map<String, Object> map = (Map<String, Object>) parent.get(field);
        if (map == null) {
            return;
        }
        keys.forEach(map::remove);
        if (map.isEmpty()) {
            parent.remove(field);
        }
    }

    private static String helm(String... arguments) {
        return OperatorTestPlane.plane().helm(OperatorTestPlane.REPO, arguments);
    }
}
