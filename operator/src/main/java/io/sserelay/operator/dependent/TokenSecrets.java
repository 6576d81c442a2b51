package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.sserelay.api.SseRelay;

/** Builds the Secrets that hold generated tokens, under the key {@code token}. */
final class TokenSecrets {

    static final String KEY = "token";

    private TokenSecrets() {
    }

    static Secret withNewToken(SseRelay relay, String name) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(relay.getMetadata().getNamespace())
                .withLabels(RelayNames.labels(relay))
                .endMetadata()
                .withType("Opaque")
                .addToStringData(KEY, Tokens.generate())
                .build();
    }
}
