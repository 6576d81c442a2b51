package io.sserelay.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelayStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Objects;

/**
 * Kubernetes Events on the SseRelay when it becomes ready or not ready, degraded or healthy,
 * so that {@code kubectl describe sserelay} tells the story. Recording an event is best
 * effort: a failure is logged and never fails a reconciliation.
 */
public final class TransitionEvents {

    private static final Logger LOG = LoggerFactory.getLogger(TransitionEvents.class);
    private static final String COMPONENT = "sse-relay-operator";

    private TransitionEvents() {
    }

    public static void record(KubernetesClient client, SseRelay relay, SseRelayStatus before, SseRelayStatus after,
            Instant now) {
        announce(client, relay, before, after, StatusAggregator.READY, "Normal", "Warning", now);
        announce(client, relay, before, after, StatusAggregator.DEGRADED, "Warning", "Normal", now);
    }

    private static void announce(KubernetesClient client, SseRelay relay, SseRelayStatus before, SseRelayStatus after,
            String type, String typeWhenTrue, String typeWhenFalse, Instant now) {
        Condition was = StatusAggregator.find(before, type);
        Condition is = StatusAggregator.find(after, type);
        if (is == null || (was != null && Objects.equals(was.getStatus(), is.getStatus()))) {
            return;
        }
        if (was == null && "False".equals(is.getStatus()) && type.equals(StatusAggregator.DEGRADED)) {
            return; // "not degraded" is not news on a new SseRelay
        }
        boolean isTrue = "True".equals(is.getStatus());
        try {
            client.v1().events().inNamespace(relay.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata()
                    .withGenerateName(relay.getMetadata().getName() + "-")
                    .withNamespace(relay.getMetadata().getNamespace())
                    .endMetadata()
                    .withNewInvolvedObject()
                    .withApiVersion(relay.getApiVersion()).withKind(relay.getKind())
                    .withName(relay.getMetadata().getName()).withNamespace(relay.getMetadata().getNamespace())
                    .withUid(relay.getMetadata().getUid())
                    .endInvolvedObject()
                    .withType(isTrue ? typeWhenTrue : typeWhenFalse)
                    .withReason(is.getReason())
                    .withMessage(is.getMessage())
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .withReportingComponent(COMPONENT)
                    .withFirstTimestamp(now.toString()).withLastTimestamp(now.toString()).withCount(1)
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warn("could not record event {} on {}/{}: {}", is.getReason(), relay.getMetadata().getNamespace(),
                    relay.getMetadata().getName(), e.getMessage());
        }
    }
}
