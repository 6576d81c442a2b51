package io.sserelay.operator.dependent;

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
 * The relay container's environment: the relay's configuration contract ({@code RELAY_*},
 * see docs/relay.md) filled from the SseRelay spec, plus the pod's identity from the
 * downward API. Fields the spec leaves out are left out here too, so the relay's own
 * defaults apply (they are the same as the CRD's).
 */
final class RelayEnvironment {

    private RelayEnvironment() {
    }

    static List<EnvVar> of(SseRelay relay) {
        SseRelaySpec spec = relay.getSpec();
        List<EnvVar> env = new ArrayList<>();
        env.add(fieldRef("POD_NAME", "metadata.name"));
        env.add(fieldRef("POD_NAMESPACE", "metadata.namespace"));
        env.add(fieldRef("POD_IP", "status.podIP"));
        // The relays find their peers in this SseRelay's status.
        env.add(value("RELAY_SSERELAY_NAME", relay.getMetadata().getName()));
        env.add(value("RELAY_SSERELAY_NAMESPACE", "$(POD_NAMESPACE)"));
        env.add(value("RELAY_BIND_ADDRESS", "0.0.0.0"));
        env.add(value("RELAY_HTTP_PORT", Integer.toString(RelayNames.HTTP_PORT)));
        env.add(value("RELAY_PEER_PORT", Integer.toString(RelayNames.PEER_PORT)));
        env.add(value("RELAY_ADMIN_PORT", Integer.toString(RelayNames.ADMIN_PORT)));
        // Kubernetes expands $(POD_IP) from the variable defined above.
        env.add(value("RELAY_ADVERTISE_ADDRESS", "$(POD_IP)"));
        env.add(secret("RELAY_PEER_TOKEN", RelayNames.peerTokenSecret(relay), GeneratedTokenSecretDependent.KEY));

        PublishAuthSpec publish = spec.getPublishAuth();
        if (publish != null && Boolean.TRUE.equals(publish.getDisabled())) {
            env.add(value("RELAY_PUBLISH_AUTH_DISABLED", "true"));
        } else if (publish != null && publish.getMode() == PublishAuthSpec.Mode.jwt) {
            env.add(value("RELAY_PUBLISH_AUTH", "jwt"));
        } else if (publish != null && publish.getSecretRef() != null) {
            env.add(secret("RELAY_PUBLISH_TOKEN", publish.getSecretRef()));
        } else {
            env.add(secret("RELAY_PUBLISH_TOKEN", RelayNames.publishTokenSecret(relay), GeneratedTokenSecretDependent.KEY));
        }
        SubscribeAuthSpec subscribe = spec.getSubscribeAuth();
        if (subscribe != null && subscribe.getMode() == SubscribeAuthSpec.Mode.token) {
            env.add(value("RELAY_SUBSCRIBE_AUTH", "token"));
            env.add(secret("RELAY_SUBSCRIBE_TOKEN", subscribe.getSecretRef()));
        } else if (subscribe != null && subscribe.getMode() == SubscribeAuthSpec.Mode.jwt) {
            env.add(value("RELAY_SUBSCRIBE_AUTH", "jwt"));
        }
        JwtSpec jwt = spec.getJwt();
        if (jwt != null) {
            if (jwt.getHmacSecretRef() != null) {
                env.add(secret("RELAY_JWT_HMAC_SECRET", jwt.getHmacSecretRef()));
            }
            if (jwt.getPublicKeysSecretRef() != null) {
                env.add(secret("RELAY_JWT_PUBLIC_KEYS", jwt.getPublicKeysSecretRef()));
            }
            optional(env, "RELAY_JWT_JWKS_URL", jwt.getJwksUrl());
            optional(env, "RELAY_JWT_JWKS_ALLOW_HTTP", jwt.getJwksAllowHttp());
            optional(env, "RELAY_JWT_ISSUER", jwt.getIssuer());
            optional(env, "RELAY_JWT_AUDIENCE", jwt.getAudience());
            if (jwt.getAlgorithms() != null && !jwt.getAlgorithms().isEmpty()) {
                env.add(value("RELAY_JWT_ALGORITHMS",
                        String.join(",", jwt.getAlgorithms().stream().map(Enum::name).toList())));
            }
            optional(env, "RELAY_JWT_COOKIE", jwt.getCookie());
            optional(env, "RELAY_JWT_QUERY_PARAMETER", jwt.getQueryParameter());
            optional(env, "RELAY_JWT_CLOCK_SKEW", jwt.getClockSkew());
            optional(env, "RELAY_JWT_END_STREAM_AT_EXPIRY", jwt.getEndStreamAtExpiry());
        }

        HistorySpec history = spec.getHistory();
        if (history != null) {
            optional(env, "RELAY_HISTORY_MAX_EVENTS", history.getMaxEvents());
            optional(env, "RELAY_HISTORY_MAX_AGE", history.getMaxAge());
            optional(env, "RELAY_HISTORY_MAX_BYTES", history.getMaxBytes());
            optional(env, "RELAY_HISTORY_MAX_STREAMS", history.getMaxStreams());
            optional(env, "RELAY_HISTORY_MAX_TOMBSTONES", history.getMaxTombstones());
        }
        PublishAckSpec ack = spec.getPublishAck();
        if (ack != null) {
            optional(env, "RELAY_PUBLISH_ACK", ack.getMode());
            optional(env, "RELAY_PUBLISH_ACK_TIMEOUT", ack.getTimeout());
        }
        optional(env, "RELAY_HEARTBEAT", spec.getHeartbeat());
        optional(env, "RELAY_MAX_EVENT_BYTES", spec.getMaxEventBytes());
        optional(env, "RELAY_SUBSCRIBER_BUFFER_BYTES", spec.getSubscriberBufferBytes());
        optional(env, "RELAY_MAX_CONNECTIONS_PER_ADDRESS", spec.getMaxConnectionsPerAddress());
        CorsSpec cors = spec.getCors();
        if (cors != null && cors.getAllowedOrigins() != null && !cors.getAllowedOrigins().isEmpty()) {
            env.add(value("RELAY_CORS_ALLOWED_ORIGINS", String.join(",", cors.getAllowedOrigins())));
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
        return secret(name, ref.getName(), ref.getKey() == null ? GeneratedTokenSecretDependent.KEY : ref.getKey());
    }

    private static EnvVar secret(String name, String secret, String key) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef()
                .withName(secret).withKey(key).endSecretKeyRef().endValueFrom().build();
    }
}
