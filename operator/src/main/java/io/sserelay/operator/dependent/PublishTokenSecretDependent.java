package io.sserelay.operator.dependent;

import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.SseRelay;

/**
 * The Secret {@code <name>-publish-token}, generated when the SseRelay names no Secret of its
 * own for publishers (see {@link GeneratedPublishTokenCondition}).
 */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class PublishTokenSecretDependent extends GeneratedTokenSecretDependent {

    @Override
    String secretName(SseRelay relay) {
        return RelayNames.publishTokenSecret(relay);
    }
}
