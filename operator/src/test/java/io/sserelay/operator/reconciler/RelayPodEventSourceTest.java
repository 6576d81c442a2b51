package io.sserelay.operator.reconciler;

import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RelayPodEventSourceTest {

    @Test
    void onlyChangesThatAlterThePeersTriggerAReconciliation() {
        Pod pod = pod("10.0.0.1", true, "Running", null);
        assertThat(RelayPodEventSource.changesPeers(pod("10.0.0.2", true, "Running", null), pod)).as("new address").isTrue();
        assertThat(RelayPodEventSource.changesPeers(pod("10.0.0.1", false, "Running", null), pod)).as("readiness").isTrue();
        assertThat(RelayPodEventSource.changesPeers(pod("10.0.0.1", true, "Running", "2026-11-21T10:00:00Z"), pod))
                .as("deletion").isTrue();
        assertThat(RelayPodEventSource.changesPeers(pod("10.0.0.1", true, "Failed", null), pod)).as("ended").isTrue();
        Pod restarted = pod("10.0.0.1", true, "Running", null);
        restarted.getStatus().getContainerStatuses().get(0).setStarted(false);
        assertThat(RelayPodEventSource.changesPeers(restarted, pod)).as("its relay restarted").isTrue();
        Pod stopped = pod("10.0.0.1", true, "Running", null);
        stopped.getStatus().getContainerStatuses().get(0).setState(new ContainerStateBuilder().withNewWaiting()
                .withReason("CrashLoopBackOff").endWaiting().build());
        assertThat(RelayPodEventSource.changesPeers(stopped, pod)).as("its relay stopped").isTrue();
        Pod relabelled = pod("10.0.0.1", true, "Running", null);
        relabelled.getMetadata().getAnnotations().put("touched", "yes");
        assertThat(RelayPodEventSource.changesPeers(relabelled, pod)).as("an annotation").isFalse();
    }

    private static Pod pod(String ip, boolean ready, String phase, String deletion) {
        return new PodBuilder()
                .withNewMetadata().withName("news-a").withDeletionTimestamp(deletion).addToAnnotations("a", "b").endMetadata()
                .withNewStatus().withPhase(phase).withPodIP(ip)
                .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
                .addNewContainerStatus().withName("relay").withStarted(true).endContainerStatus()
                .endStatus()
                .build();
    }
}
