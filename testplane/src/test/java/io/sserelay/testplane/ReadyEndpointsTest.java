package io.sserelay.testplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadyEndpointsTest {

    private static final ServicePort NAMED = new ServicePortBuilder().withPort(80).withTargetPort(new IntOrString("http"))
            .build();

    @Test
    void aReadyPodIsAnEndpointAtTheContainerPortOfTheTargetPortsName() {
        assertThat(ReadyEndpoints.of(List.of(pod("a", "127.0.1.1", "True", "Running")), NAMED))
                .containsExactly(new ServiceEndpoint("a", "127.0.1.1", 8080));
    }

    @Test
    void aNumericTargetPortIsUsedAsItIsAndNoTargetPortMeansTheServicePort() {
        Pod pod = pod("a", "127.0.1.1", "True", "Running");
        assertThat(ReadyEndpoints.of(List.of(pod), new ServicePortBuilder().withPort(80)
                .withTargetPort(new IntOrString(9090)).build())).extracting(ServiceEndpoint::port).containsExactly(9090);
        assertThat(ReadyEndpoints.of(List.of(pod), new ServicePortBuilder().withPort(81).build()))
                .extracting(ServiceEndpoint::port).containsExactly(81);
    }

    @Test
    void podsThatAreNotReadyTerminatingEndedOrWithoutAnAddressAreNoEndpoints() {
        Pod terminating = pod("terminating", "127.0.1.3", "True", "Running");
        terminating.getMetadata().setDeletionTimestamp("2025-01-01T00:00:00Z");

        List<ServiceEndpoint> endpoints = ReadyEndpoints.of(List.of(
                pod("not-ready", "127.0.1.1", "False", "Running"),
                pod("no-address", null, "True", "Running"),
                terminating,
                pod("failed", "127.0.1.4", "True", "Failed"),
                pod("ready", "127.0.1.5", "True", "Running")), NAMED);

        assertThat(endpoints).extracting(ServiceEndpoint::pod).containsExactly("ready");
    }

    @Test
    void aPodWithoutAPortOfTheTargetPortsNameIsNoEndpoint() {
        Pod other = new PodBuilder(pod("other", "127.0.1.1", "True", "Running")).editSpec().editFirstContainer()
                .editFirstPort().withName("metrics").endPort().endContainer().endSpec().build();

        assertThat(ReadyEndpoints.of(List.of(other), NAMED)).isEmpty();
    }

    @Test
    void endpointsAreSortedByPodName() {
        assertThat(ReadyEndpoints.of(List.of(pod("c", "127.0.1.3", "True", "Running"),
                pod("a", "127.0.1.1", "True", "Running"), pod("b", "127.0.1.2", "True", "Running")), NAMED))
                .extracting(ServiceEndpoint::pod).containsExactly("a", "b", "c");
    }

    private static Pod pod(String name, String ip, String ready, String phase) {
        return new PodBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec().addNewContainer().withName("main")
                .addNewPort().withName("http").withContainerPort(8080).endPort().endContainer().endSpec()
                .withNewStatus().withPhase(phase).withPodIP(ip)
                .addNewCondition().withType("Ready").withStatus(ready).endCondition().endStatus()
                .build();
    }
}
