package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.SseRelay;

/**
 * At most one relay pod down at a time for voluntary disruptions (drains, upgrades); exists
 * only while there is more than one replica (see {@link SeveralReplicasCondition}), since a
 * budget on a single pod would block node drains for good.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class DisruptionBudgetDependent extends CRUDKubernetesDependentResource<PodDisruptionBudget, SseRelay> {

    public DisruptionBudgetDependent() {
        super(PodDisruptionBudget.class);
    }

    @Override
    protected PodDisruptionBudget desired(SseRelay relay, Context<SseRelay> context) {
        return new PodDisruptionBudgetBuilder()
                .withNewMetadata()
                .withName(RelayNames.disruptionBudget(relay))
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withNewSpec()
                .withMaxUnavailable(new IntOrString(1))
                .withNewSelector().withMatchLabels(RelayNames.selector(relay)).endSelector()
                .endSpec()
                .build();
    }
}
