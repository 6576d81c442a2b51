package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.sserelay.api.SseRelay;

/** The autoscaler exists while {@code spec.autoscaling} is set; without it the operator deletes it. */
public class AutoscalingCondition implements Condition<HorizontalPodAutoscaler, SseRelay> {

    @Override
    public boolean isMet(DependentResource<HorizontalPodAutoscaler, SseRelay> dependent, SseRelay relay,
            Context<SseRelay> context) {
        return relay.getSpec().getAutoscaling() != null;
    }
}
