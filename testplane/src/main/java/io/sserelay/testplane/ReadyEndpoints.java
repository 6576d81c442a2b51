package io.sserelay.testplane;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which pods take new connections for a Service port, by the rules the EndpointSlice controller
 * and kube-proxy apply together: a pod that is not terminating, has not ended, has an IP and
 * whose {@code Ready} condition is True, at the port's target port. A named target port is
 * looked up in the pod's container ports; a pod that has no port of that name is no endpoint
 * of it. Pure: the same pods give the same endpoints, sorted by pod name.
 */
final class ReadyEndpoints {

    private ReadyEndpoints() {
    }

    static List<ServiceEndpoint> of(Collection<Pod> pods, ServicePort port) {
        return pods.stream()
                .filter(ReadyEndpoints::takesNewConnections)
                .map(pod -> targetPort(pod, port).map(target ->
                        new ServiceEndpoint(pod.getMetadata().getName(), pod.getStatus().getPodIP(), target)))
                .flatMap(Optional::stream)
                .sorted(Comparator.comparing(ServiceEndpoint::pod))
                .toList();
    }

    private static boolean takesNewConnections(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null) {
            return false;
        }
        String phase = pod.getStatus().getPhase();
        String ip = pod.getStatus().getPodIP();
        return !"Succeeded".equals(phase) && !"Failed".equals(phase) && ip != null && !ip.isEmpty()
                && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static Optional<Integer> targetPort(Pod pod, ServicePort port) {
        IntOrString target = port.getTargetPort();
        if (target == null) {
            return Optional.of(port.getPort());
        }
        if (target.getStrVal() == null) {
            return Optional.of(target.getIntVal());
        }
        return pod.getSpec().getContainers().stream()
                .map(Container::getPorts)
                .filter(Objects::nonNull)
                .flatMap(List::stream)
                .filter(p -> target.getStrVal().equals(p.getName())
                        && Objects.requireNonNullElse(p.getProtocol(), "TCP").equals("TCP"))
                .map(ContainerPort::getContainerPort)
                .findFirst();
    }
}
