package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.SseRelay;

/**
 * The Secret {@code <name>-publish-token}, generated when the SseRelay names no Secret of its
 * own for publishers (see {@link GeneratedPublishTokenCondition}). Created once, never updated.
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class PublishTokenSecretDependent extends KubernetesDependentResource<Secret, SseRelay>
        implements Creator<Secret, SseRelay>, GarbageCollected<SseRelay> {

    public PublishTokenSecretDependent() {
        super(Secret.class);
    }

    @Override
    protected Secret desired(SseRelay relay, Context<SseRelay> context) {
        return TokenSecrets.withNewToken(relay, RelayNames.publishTokenSecret(relay));
    }
}
