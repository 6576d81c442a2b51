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
 * The Secret {@code <name>-peer-token}: the random token the relays of one SseRelay present to
 * each other. Created once and never updated, so the token stays stable; created again if
 * deleted (the relays then roll onto the new one: see {@link DeploymentDependent#tokensHash}).
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class PeerTokenSecretDependent extends KubernetesDependentResource<Secret, SseRelay>
        implements Creator<Secret, SseRelay>, GarbageCollected<SseRelay> {

    public PeerTokenSecretDependent() {
        super(Secret.class);
    }

    @Override
    protected Secret desired(SseRelay relay, Context<SseRelay> context) {
        return TokenSecrets.withNewToken(relay, RelayNames.peerTokenSecret(relay));
    }
}
