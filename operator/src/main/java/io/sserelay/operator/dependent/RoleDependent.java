package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.SseRelay;

/**
 * What the relay pods may do: get and watch their own SseRelay, by name, and nothing else.
 * They find their peers in its status, so they never need to read pods.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class RoleDependent extends CRUDKubernetesDependentResource<Role, SseRelay> {

    public RoleDependent() {
        super(Role.class);
    }

    @Override
    protected Role desired(SseRelay relay, Context<SseRelay> context) {
        return new RoleBuilder()
                .withNewMetadata()
                .withName(RelayNames.relayIdentity(relay))
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withRules(new PolicyRuleBuilder()
                        .withApiGroups(SseRelay.GROUP)
                        .withResources("sserelays")
                        .withResourceNames(relay.getMetadata().getName())
                        .withVerbs("get", "watch")
                        .build())
                .build();
    }
}
