package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.sserelay.api.SseRelay;
import io.sserelay.api.relay.RelayDefaults;

/**
 * A Secret holding a random token under the key {@code token}. Created once and never
 * updated, so the token stays stable; created again, with a new token, if deleted (the
 * relays then roll onto it: see {@link DeploymentDependent#tokensHash}).
 */
abstract class GeneratedTokenSecretDependent extends KubernetesDependentResource<Secret, SseRelay>
        implements Creator<Secret, SseRelay>, GarbageCollected<SseRelay> {


    GeneratedTokenSecretDependent() {
        super(Secret.class);
    }

    /** The Secret's name for {@code relay}. */
    abstract String secretName(SseRelay relay);

    @Override
    protected Secret desired(SseRelay relay, Context<SseRelay> context) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(secretName(relay))
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withType("Opaque")
                .addToStringData(RelayDefaults.SECRET_KEY, Tokens.generate())
                .build();
    }
}
