package io.sserelay.operator.status;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sserelay.api.JwtSpec;
import io.sserelay.api.PublishAuthSpec;
import io.sserelay.api.SecretKeyRef;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SubscribeAuthSpec;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * What is wrong with a spec that its schema cannot see: the Secrets it names must exist and
 * hold a token, secret or keys the relay accepts. Each problem is a sentence that says what to fix.
 */
public final class SpecProblems {

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
        JwtSpec jwt = relay.getSpec().getJwt();
        if (jwt != null && jwt.getHmacSecretRef() != null) {
            String secret = value("jwt.hmacSecretRef", jwt.getHmacSecretRef(), relay, client, problems);
            if (secret != null && secret.getBytes(StandardCharsets.UTF_8).length < RelayLimits.MIN_HMAC_SECRET_BYTES) {
                problems.add("jwt.hmacSecretRef: the secret in Secret '" + jwt.getHmacSecretRef().getName() + "' key '"
                        + key(jwt.getHmacSecretRef()) + "' is " + secret.getBytes(StandardCharsets.UTF_8).length
                        + " bytes long; HS256 needs at least " + RelayLimits.MIN_HMAC_SECRET_BYTES);
            }
        }
        if (jwt != null && jwt.getPublicKeysSecretRef() != null) {
            value("jwt.publicKeysSecretRef", jwt.getPublicKeysSecretRef(), relay, client, problems);
        }
        return problems;
    }

    /** The value a Secret key holds, or null after adding the problem that it is missing. */
    private static String value(String field, SecretKeyRef ref, SseRelay relay, KubernetesClient client,
            List<String> problems) {
        String namespace = relay.getMetadata().getNamespace();
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        if (secret == null) {
            problems.add(field + " names Secret '" + ref.getName() + "', which does not exist in namespace '"
                    + namespace + "'");
            return null;
        }
        String encoded = secret.getData() == null ? null : secret.getData().get(key(ref));
        if (encoded == null) {
            problems.add(field + ": Secret '" + ref.getName() + "' has no key '" + key(ref) + "'");
            return null;
        }
        return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8).trim();
    }

    private static String key(SecretKeyRef ref) {
        return ref.getKey() == null ? RelayDefaults.SECRET_KEY : ref.getKey();
    }

    private static void check(String field, SecretKeyRef ref, SseRelay relay, KubernetesClient client,
            List<String> problems) {
        String token = value(field, ref, relay, client, problems);
        if (token == null) {
            return;
        }
        String key = key(ref);
        if (token.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            problems.add(field + ": the token in Secret '" + ref.getName() + "' key '" + key + "' contains spaces or"
                    + " control characters, which the relay does not accept");
        } else if (token.length() < RelayLimits.MIN_TOKEN_LENGTH) {
            problems.add(field + ": the token in Secret '" + ref.getName() + "' key '" + key + "' is " + token.length()
                    + " characters long; the relay needs at least " + RelayLimits.MIN_TOKEN_LENGTH);
        }
    }
}
