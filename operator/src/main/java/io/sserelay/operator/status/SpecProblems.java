package io.sserelay.operator.status;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sserelay.api.PublishAuthSpec;
import io.sserelay.api.SecretKeyRef;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SubscribeAuthSpec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * What is wrong with a spec that its schema cannot see: the Secrets it names must exist and
 * hold a token the relay accepts. Each problem is a sentence that says what to fix.
 */
public final class SpecProblems {

    private static final int MIN_TOKEN_LENGTH = 16;

    private SpecProblems() {
    }

    public static List<String> find(SseRelay relay, KubernetesClient client) {
        List<String> problems = new ArrayList<>();
        PublishAuthSpec publish = relay.getSpec().getPublishAuth();
        if (publish != null && publish.getSecretRef() != null) {
            check("publishAuth.secretRef", publish.getSecretRef(), relay, client, problems);
        }
        SubscribeAuthSpec subscribe = relay.getSpec().getSubscribeAuth();
        if (subscribe != null && subscribe.getSecretRef() != null) {
            check("subscribeAuth.secretRef", subscribe.getSecretRef(), relay, client, problems);
        }
        return problems;
    }

    private static void check(String field, SecretKeyRef ref, SseRelay relay, KubernetesClient client,
            List<String> problems) {
        String namespace = relay.getMetadata().getNamespace();
        String key = ref.getKey() == null ? "token" : ref.getKey();
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        if (secret == null) {
            problems.add(field + " names Secret '" + ref.getName() + "', which does not exist in namespace '"
                    + namespace + "'");
            return;
        }
        String encoded = secret.getData() == null ? null : secret.getData().get(key);
        if (encoded == null) {
            problems.add(field + ": Secret '" + ref.getName() + "' has no key '" + key + "'");
            return;
        }
        String token = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8).trim();
        if (token.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            problems.add(field + ": the token in Secret '" + ref.getName() + "' key '" + key + "' contains spaces or"
                    + " control characters, which the relay does not accept");
        } else if (token.length() < MIN_TOKEN_LENGTH) {
            problems.add(field + ": the token in Secret '" + ref.getName() + "' key '" + key + "' is " + token.length()
                    + " characters long; the relay needs at least " + MIN_TOKEN_LENGTH);
        }
    }
}
