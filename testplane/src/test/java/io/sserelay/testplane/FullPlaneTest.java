package io.sserelay.testplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FullPlaneTest {

    private static final Duration ROLLOUT = Duration.ofSeconds(60);
    private static final String POD_IP = "127\\.0\\.1\\.\\d{1,3}";

    @AutoClose
    private static FullPlane plane;
    private static KubernetesClient client;

    @BeforeAll
    static void startPlane() {
        plane = FullPlane.start();
        client = plane.client();
    }

    @Test
    void aDeploymentWithTwoReplicasYieldsTwoRunningPodsWithLoopbackIpsATestCanBindTo() throws IOException {
        createDeployment("two", 2);

        List<Pod> pods = awaitRunningPods("two", 2);

        assertThat(pods).extracting(pod -> pod.getStatus().getPodIP()).doesNotHaveDuplicates().allMatch(ip -> ip.matches(POD_IP));
        assertThat(pods).extracting(pod -> pod.getSpec().getNodeName()).allMatch(plane.nodeNames()::contains);
        for (Pod pod : pods) {
            try (var socket = new ServerSocket(0, 1, InetAddress.getByName(pod.getStatus().getPodIP()))) {
                assertThat(socket.getInetAddress().getHostAddress()).isEqualTo(pod.getStatus().getPodIP());
            }
        }
    }

    @Test
    void scalingADeploymentFromTwoToThreeAddsOnePod() {
        createDeployment("scaled", 2);
        List<String> before = names(awaitRunningPods("scaled", 2));

        client.apps().deployments().inNamespace("default").withName("scaled").scale(3);

        List<Pod> after = awaitRunningPods("scaled", 3);
        assertThat(names(after)).containsAll(before);
        assertThat(after).extracting(pod -> pod.getStatus().getPodIP()).doesNotHaveDuplicates().allMatch(ip -> ip.matches(POD_IP));
    }

    @Test
    void deletingADeploymentGarbageCollectsItsReplicaSetAndPods() {
        Deployment deployment = createDeployment("doomed", 2);
        List<Pod> pods = awaitRunningPods("doomed", 2);
        List<ReplicaSet> replicaSets = client.apps().replicaSets().inNamespace("default").withLabel("app", "doomed").list().getItems();
        assertThat(replicaSets).singleElement()
                .satisfies(rs -> assertThat(rs.getMetadata().getOwnerReferences())
                        .anyMatch(owner -> owner.getUid().equals(deployment.getMetadata().getUid())));

        client.apps().deployments().inNamespace("default").withName("doomed")
                .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();

        await("the ReplicaSet and pods of the deleted Deployment to be collected").atMost(ROLLOUT).untilAsserted(() -> {
            for (ReplicaSet replicaSet : replicaSets) {
                assertThat(client.apps().replicaSets().inNamespace("default").withName(replicaSet.getMetadata().getName()).get()).isNull();
            }
            for (Pod pod : pods) {
                assertThat(client.pods().inNamespace("default").withName(pod.getMetadata().getName()).get()).isNull();
            }
        });
        assertThat(client.pods().inNamespace("default").withLabel("app", "doomed").list().getItems()).isEmpty();
    }

    @Test
    void aPodWithoutAReadinessProbeIsReadyAtOnceWhileOneWithAProbeIsLeftNotReadyForItsKubelet() {
        createDeployment("unprobed", 1);
        createDeployment("probed", 1, new ProbeBuilder().withNewHttpGet().withPath("/readyz")
                .withPort(new IntOrString(8080)).endHttpGet().build());

        Pod unprobed = awaitRunningPods("unprobed", 1).get(0);
        Pod probed = awaitRunningPods("probed", 1).get(0);

        assertThat(condition(unprobed, "Ready")).isEqualTo("True");
        assertThat(condition(unprobed, "ContainersReady")).isEqualTo("True");
        assertThat(unprobed.getStatus().getContainerStatuses()).allMatch(ContainerStatus::getReady);
        assertThat(condition(probed, "Ready")).isEqualTo("False");
        assertThat(condition(probed, "ContainersReady")).isEqualTo("False");
        assertThat(probed.getStatus().getContainerStatuses()).noneMatch(ContainerStatus::getReady);
    }

    private static String condition(Pod pod, String type) {
        return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType()))
                .map(PodCondition::getStatus).findFirst().orElse(null);
    }

    private static Deployment createDeployment(String name, int replicas) {
        return createDeployment(name, replicas, null);
    }

    private static Deployment createDeployment(String name, int replicas, Probe readinessProbe) {
        Map<String, String> labels = Map.of("app", name);
        return client.apps().deployments().inNamespace("default").resource(new DeploymentBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withNewSelector().withMatchLabels(labels).endSelector()
                .withNewTemplate()
                .withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec()
                // kwok runs no container, so the image is never pulled.
                .addNewContainer().withName("main").withImage("example.invalid/" + name + ":1")
                .withReadinessProbe(readinessProbe).endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build()).create();
    }

    /** Waits until exactly {@code count} pods of the Deployment exist and all are Running with an IP. */
    private static List<Pod> awaitRunningPods(String app, int count) {
        return await("%d running pods of %s".formatted(count, app)).atMost(ROLLOUT).until(
                () -> client.pods().inNamespace("default").withLabel("app", app).list().getItems(),
                pods -> pods.size() == count && pods.stream().allMatch(FullPlaneTest::isRunningWithIp));
    }

    private static boolean isRunningWithIp(Pod pod) {
        return pod.getMetadata().getDeletionTimestamp() == null
                && "Running".equals(pod.getStatus().getPhase())
                && pod.getStatus().getPodIP() != null;
    }

    private static List<String> names(List<? extends HasMetadata> objects) {
        return objects.stream().map(o -> o.getMetadata().getName()).toList();
    }
}
