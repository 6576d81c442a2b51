package io.sserelay.api.relay;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.sserelay.api.CorsSpec;
import io.sserelay.api.HistorySpec;
import io.sserelay.api.JwtSpec;
import io.sserelay.api.PublishAckSpec;
import io.sserelay.api.PublishAuthSpec;
import io.sserelay.api.SecretKeyRef;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.SubscribeAuthSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * How an SseRelay becomes its relays' environment: each spec field's variable
 * ({@link RelayVariables}) and value, plus the pod's identity from the downward API. Fields the
 * spec leaves out are left out here too, so the relay's own defaults apply; they are the CRD's,
 * both being {@link RelayDefaults}.
 */
public final class RelayEnvironment {

    private RelayEnvironment() {
    }

    /**
     * @param peerTokenSecret    the Secret holding the token the SseRelay's relays share
     * @param publishTokenSecret the Secret holding the publish token made up for the SseRelay,
     *                           used when its spec names none
     */
    public static List<EnvVar> of(SseRelay relay, String peerTokenSecret, String publishTokenSecret) {
        SseRelaySpec spec = relay.getSpec();
        List<EnvVar> env = new ArrayList<>();
        env.add(fieldRef("POD_NAME", "metadata.name"));
        env.add(fieldRef("POD_NAMESPACE", "metadata.namespace"));
        env.add(fieldRef("POD_IP", "status.podIP"));
        // The relays find their peers in this SseRelay's status.
        env.add(value(RelayVariables.SSERELAY_NAME, relay.getMetadata().getName()));
        env.add(value(RelayVariables.SSERELAY_NAMESPACE, "$(POD_NAMESPACE)"));
        env.add(value(RelayVariables.BIND_ADDRESS, RelayDefaults.BIND_ADDRESS));
        env.add(value(RelayVariables.HTTP_PORT, Integer.toString(RelayDefaults.HTTP_PORT)));
        env.add(value(RelayVariables.PEER_PORT, Integer.toString(RelayDefaults.PEER_PORT)));
        env.add(value(RelayVariables.ADMIN_PORT, Integer.toString(RelayDefaults.ADMIN_PORT)));
        // Kubernetes expands $(POD_IP) from the variable defined above.
        env.add(value(RelayVariables.ADVERTISE_ADDRESS, "$(POD_IP)"));
        env.add(secret(RelayVariables.PEER_TOKEN, peerTokenSecret, RelayDefaults.SECRET_KEY));

        PublishAuthSpec publish = spec.getPublishAuth();
        if (publish != null && Boolean.TRUE.equals(publish.getDisabled())) {
            env.add(value(RelayVariables.PUBLISH_AUTH_DISABLED, "true"));
        } else if (publish != null && publish.getMode() == PublishAuthSpec.Mode.jwt) {
            env.add(value(RelayVariables.PUBLISH_AUTH, "jwt"));
        } else if (publish != null && publish.getSecretRef() != null) {
            env.add(secret(RelayVariables.PUBLISH_TOKEN, publish.getSecretRef()));
        } else {
            env.add(secret(RelayVariables.PUBLISH_TOKEN, publishTokenSecret, RelayDefaults.SECRET_KEY));
        }
        SubscribeAuthSpec subscribe = spec.getSubscribeAuth();
        if (subscribe != null && subscribe.getMode() == SubscribeAuthSpec.Mode.token) {
            env.add(value(RelayVariables.SUBSCRIBE_AUTH, "token"));
            env.add(secret(RelayVariables.SUBSCRIBE_TOKEN, subscribe.getSecretRef()));
        } else if (subscribe != null && subscribe.getMode() == SubscribeAuthSpec.Mode.jwt) {
            env.add(value(RelayVariables.SUBSCRIBE_AUTH, "jwt"));
        }
        JwtSpec jwt = spec.getJwt();
        if (jwt != null) {
            if (jwt.getHmacSecretRef() != null) {
                env.add(secret(RelayVariables.JWT_HMAC_SECRET, jwt.getHmacSecretRef()));
            }
            if (jwt.getPublicKeysSecretRef() != null) {
                env.add(secret(RelayVariables.JWT_PUBLIC_KEYS, jwt.getPublicKeysSecretRef()));
            }
            optional(env, RelayVariables.JWT_JWKS_URL, jwt.getJwksUrl());
            optional(env, RelayVariables.JWT_JWKS_ALLOW_HTTP, jwt.getJwksAllowHttp());
            optional(env, RelayVariables.JWT_ISSUER, jwt.getIssuer());
            optional(env, RelayVariables.JWT_AUDIENCE, jwt.getAudience());
            if (jwt.getAlgorithms() != null && !jwt.getAlgorithms().isEmpty()) {
                env.add(value(RelayVariables.JWT_ALGORITHMS,
                        String.join(",", jwt.getAlgorithms().stream().map(Enum::name).toList())));
            }
            optional(env, RelayVariables.JWT_COOKIE, jwt.getCookie());
            optional(env, RelayVariables.JWT_QUERY_PARAMETER, jwt.getQueryParameter());
            optional(env, RelayVariables.JWT_CLOCK_SKEW, jwt.getClockSkew());
            optional(env, RelayVariables.JWT_END_STREAM_AT_EXPIRY, jwt.getEndStreamAtExpiry());
        }

        HistorySpec history = spec.getHistory();
        if (history != null) {
            optional(env, RelayVariables.HISTORY_MAX_EVENTS, history.getMaxEvents());
            optional(env, RelayVariables.HISTORY_MAX_AGE, history.getMaxAge());
            optional(env, RelayVariables.HISTORY_MAX_BYTES, history.getMaxBytes());
            optional(env, RelayVariables.HISTORY_MAX_STREAMS, history.getMaxStreams());
            optional(env, RelayVariables.HISTORY_MAX_TOMBSTONES, history.getMaxTombstones());
        }
        PublishAckSpec ack = spec.getPublishAck();
        if (ack != null) {
            optional(env, RelayVariables.PUBLISH_ACK, ack.getMode());
            optional(env, RelayVariables.PUBLISH_ACK_TIMEOUT, ack.getTimeout());
        }
        optional(env, RelayVariables.HEARTBEAT, spec.getHeartbeat());
        optional(env, RelayVariables.MAX_EVENT_BYTES, spec.getMaxEventBytes());
        optional(env, RelayVariables.SUBSCRIBER_BUFFER_BYTES, spec.getSubscriberBufferBytes());
        optional(env, RelayVariables.MAX_CONNECTIONS_PER_ADDRESS, spec.getMaxConnectionsPerAddress());
        CorsSpec cors = spec.getCors();
        if (cors != null && cors.getAllowedOrigins() != null && !cors.getAllowedOrigins().isEmpty()) {
            env.add(value(RelayVariables.CORS_ALLOWED_ORIGINS, String.join(",", cors.getAllowedOrigins())));
        }
        return env;
    }

    private static void optional(List<EnvVar> env, String name, Object value) {
        if (value != null) {
            env.add(value(name, value.toString()));
        }
    }

    private static EnvVar value(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static EnvVar fieldRef(String name, String path) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef()
                .withApiVersion("v1").withFieldPath(path).endFieldRef().endValueFrom().build();
    }

    private static EnvVar secret(String name, SecretKeyRef ref) {
        return secret(name, ref.getName(), ref.getKey() == null ? RelayDefaults.SECRET_KEY : ref.getKey());
    }

    private static EnvVar secret(String name, String secret, String key) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef()
                .withName(secret).withKey(key).endSecretKeyRef().endValueFrom().build();
    }
}
