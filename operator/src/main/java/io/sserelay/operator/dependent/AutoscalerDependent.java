package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpecBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.AutoscalingSpec;
import io.sserelay.api.SseRelay;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The HorizontalPodAutoscaler {@code <name>}, while {@code spec.autoscaling} is set (see
 * {@link AutoscalingCondition}). It scales the SseRelay itself through its scale subresource,
 * so the Deployment, the disruption budget and the status follow as they do for
 * {@code kubectl scale}. Scaling down is slow on purpose: every relay removed sends its
 * subscribers to reconnect elsewhere.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class AutoscalerDependent extends CRUDKubernetesDependentResource<HorizontalPodAutoscaler, SseRelay> {

    /** The relay's gauge of open subscriber connections, as a metrics adapter serves it per pod. */
    public static final String SUBSCRIBERS_METRIC = "sserelay_connections";
    /** At most one relay removed per this many seconds, after load has been low for five minutes. */
    static final int SCALE_DOWN_PERIOD_SECONDS = 120;

    public AutoscalerDependent() {
        super(HorizontalPodAutoscaler.class);
    }

    @Override
    protected HorizontalPodAutoscaler desired(SseRelay relay, Context<SseRelay> context) {
        AutoscalingSpec spec = relay.getSpec().getAutoscaling();
        if (spec == null) {
            // Asked for while the autoscaler is being deleted (autoscaling was taken out): only
            // its name matters then.
            return new HorizontalPodAutoscalerBuilder().withNewMetadata().withName(RelayNames.autoscaler(relay))
                    .withNamespace(relay.getMetadata().getNamespace()).endMetadata().build();
        }
        List<MetricSpec> metrics = new ArrayList<>();
        if (spec.getTargetSubscribersPerRelay() != null) {
            metrics.add(new MetricSpecBuilder().withType("Pods").withNewPods()
                    .withNewMetric().withName(SUBSCRIBERS_METRIC).endMetric()
                    .withNewTarget().withType("AverageValue")
                    .withAverageValue(new Quantity(spec.getTargetSubscribersPerRelay().toString())).endTarget()
                    .endPods().build());
        }
        if (spec.getTargetCPUUtilizationPercentage() != null) {
            metrics.add(new MetricSpecBuilder().withType("Resource").withNewResource().withName("cpu")
                    .withNewTarget().withType("Utilization")
                    .withAverageUtilization(spec.getTargetCPUUtilizationPercentage()).endTarget()
                    .endResource().build());
        }
        return new HorizontalPodAutoscalerBuilder()
                .withNewMetadata()
                .withName(RelayNames.autoscaler(relay))
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withNewSpec()
                .withNewScaleTargetRef().withApiVersion(relay.getApiVersion()).withKind(relay.getKind())
                .withName(relay.getMetadata().getName()).endScaleTargetRef()
                .withMinReplicas(Objects.requireNonNullElse(spec.getMinReplicas(), AutoscalingSpec.DEFAULT_MIN_REPLICAS))
                .withMaxReplicas(spec.getMaxReplicas())
                .withMetrics(metrics)
                .withNewBehavior()
                .withNewScaleDown().withStabilizationWindowSeconds(300).withSelectPolicy("Min")
                .addNewPolicy().withType("Pods").withValue(1).withPeriodSeconds(SCALE_DOWN_PERIOD_SECONDS).endPolicy()
                .endScaleDown()
                .endBehavior()
                .endSpec()
                .build();
    }
}
