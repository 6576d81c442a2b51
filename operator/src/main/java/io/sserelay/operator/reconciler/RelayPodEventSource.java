package io.sserelay.operator.reconciler;

import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sserelay.api.SseRelay;
import io.sserelay.operator.dependent.RelayNames;
import io.sserelay.operator.status.StatusAggregator;

import java.util.Objects;
import java.util.Set;

/**
 * Relay pods, mapped to their SseRelay by the {@code sserelay.io/relay} label: they are owned
 * by ReplicaSets, not by the SseRelay. Only changes that alter the peers in the status
 * trigger a reconciliation: a new pod, its address, its readiness, its end or deletion.
 */
final class RelayPodEventSource {

    static final String NAME = "relay-pods";

    private RelayPodEventSource() {
    }

    static InformerEventSource<Pod, SseRelay> create(EventSourceContext<SseRelay> context) {
        InformerEventSourceConfiguration<Pod> configuration = InformerEventSourceConfiguration
                .from(Pod.class, SseRelay.class)
                .withName(NAME)
                .withLabelSelector(RelayNames.MANAGED_BY_LABEL + "=" + RelayNames.MANAGED_BY + "," + RelayNames.RELAY_LABEL)
                .withNamespacesInheritedFromController()
                .withSecondaryToPrimaryMapper(pod -> Set.of(new ResourceID(
                        pod.getMetadata().getLabels().get(RelayNames.RELAY_LABEL), pod.getMetadata().getNamespace())))
                .withOnUpdateFilter(RelayPodEventSource::changesPeers)
                .build();
        return new InformerEventSource<>(configuration, context);
    }

    static boolean changesPeers(Pod now, Pod before) {
        return !Objects.equals(ip(now), ip(before))
                || StatusAggregator.isReady(now) != StatusAggregator.isReady(before)
                || StatusAggregator.hasStarted(now) != StatusAggregator.hasStarted(before)
                || StatusAggregator.hasStopped(now) != StatusAggregator.hasStopped(before)
                || StatusAggregator.isLive(now) != StatusAggregator.isLive(before);
    }

    private static String ip(Pod pod) {
        return pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    }
}
