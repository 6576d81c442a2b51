package io.sserelay.operator.dependent;

import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.sserelay.api.SseRelay;

/** The Secret {@code <name>-peer-token}: the token the relays of one SseRelay present to each other. */
@KubernetesDependent(informer = @Informer(labelSelector = RelayNames.MANAGED_SELECTOR))
public class PeerTokenSecretDependent extends GeneratedTokenSecretDependent {

    @Override
    String secretName(SseRelay relay) {
        return RelayNames.peerTokenSecret(relay);
    }
}
