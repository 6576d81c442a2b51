package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.SseRelay;

/** Binds the relay pods' ServiceAccount to their Role. */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class RoleBindingDependent extends CRUDKubernetesDependentResource<RoleBinding, SseRelay> {

    public RoleBindingDependent() {
        super(RoleBinding.class);
    }

    @Override
    protected RoleBinding desired(SseRelay relay, Context<SseRelay> context) {
        String identity = RelayNames.relayIdentity(relay);
        return new RoleBindingBuilder()
                .withNewMetadata()
                .withName(identity)
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "Role", identity)
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(identity)
                .withNamespace(relay.getMetadata().getNamespace())
                .endSubject()
                .build();
    }
}
