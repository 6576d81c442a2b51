package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.sserelay.api.SseRelay;

/** A disruption budget only makes sense with more than one replica. */
public class SeveralReplicasCondition implements Condition<PodDisruptionBudget, SseRelay> {

    @Override
    public boolean isMet(DependentResource<PodDisruptionBudget, SseRelay> dependent, SseRelay relay,
            Context<SseRelay> context) {
        return relay.getSpec().replicasOrDefault() > 1;
    }
}
