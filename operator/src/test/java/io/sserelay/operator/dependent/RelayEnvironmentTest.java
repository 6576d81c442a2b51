package io.sserelay.operator.dependent;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.sserelay.api.CorsSpec;
import io.sserelay.api.HistorySpec;
import io.sserelay.api.JwtSpec;
import io.sserelay.api.PublishAckSpec;
import io.sserelay.api.PublishAuthSpec;
import io.sserelay.api.SecretKeyRef;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.SubscribeAuthSpec;
import io.sserelay.api.relay.RelayEnvironment;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class RelayEnvironmentTest {

    @Test
    void aDefaultRelayGetsItsIdentityPortsAndGeneratedTokensAndNothingElse() {
        Map<String, EnvVar> env = env(relay());
        assertThat(env.keySet()).containsExactlyInAnyOrder("POD_NAME", "POD_NAMESPACE", "POD_IP", "RELAY_SSERELAY_NAME", "RELAY_SSERELAY_NAMESPACE",
                "RELAY_BIND_ADDRESS", "RELAY_HTTP_PORT", "RELAY_PEER_PORT", "RELAY_ADMIN_PORT", "RELAY_ADVERTISE_ADDRESS",
                "RELAY_PEER_TOKEN",
                "RELAY_PUBLISH_TOKEN");
        assertThat(env.get("RELAY_PUBLISH_TOKEN").getValueFrom().getSecretKeyRef().getName()).isEqualTo("news-publish-token");
        assertThat(env.get("RELAY_PEER_TOKEN").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("token");
        assertThat(env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
    }

    @Test
    void signedTokensBecomeTheRelaysJwtSettingsWithTheKeyFromItsSecret() {
        SseRelay relay = relay();
        SseRelaySpec spec = relay.getSpec();
        spec.setPublishAuth(new PublishAuthSpec());
        spec.getPublishAuth().setMode(PublishAuthSpec.Mode.jwt);
        spec.setSubscribeAuth(new SubscribeAuthSpec());
        spec.getSubscribeAuth().setMode(SubscribeAuthSpec.Mode.jwt);
        spec.setJwt(new JwtSpec());
        spec.getJwt().setHmacSecretRef(new SecretKeyRef("signing", "hmac"));
        spec.getJwt().setIssuer("https://login.example.com");
        spec.getJwt().setAudience("sse");
        spec.getJwt().setAlgorithms(List.of(JwtSpec.Algorithm.HS256));
        spec.getJwt().setCookie("sse_token");
        spec.getJwt().setClockSkew("10s");
        spec.getJwt().setEndStreamAtExpiry(false);
        Map<String, EnvVar> env = env(relay);
        assertThat(env).doesNotContainKey("RELAY_PUBLISH_TOKEN");
        assertThat(values(env, "RELAY_PUBLISH_AUTH", "RELAY_SUBSCRIBE_AUTH", "RELAY_JWT_ISSUER", "RELAY_JWT_AUDIENCE",
                "RELAY_JWT_ALGORITHMS", "RELAY_JWT_COOKIE", "RELAY_JWT_CLOCK_SKEW", "RELAY_JWT_END_STREAM_AT_EXPIRY"))
                .containsExactly("jwt", "jwt", "https://login.example.com", "sse", "HS256", "sse_token", "10s", "false");
        assertThat(env.get("RELAY_JWT_HMAC_SECRET").getValue()).as("never the secret itself").isNull();
        assertThat(env.get("RELAY_JWT_HMAC_SECRET").getValueFrom().getSecretKeyRef().getName()).isEqualTo("signing");
        assertThat(env.get("RELAY_JWT_HMAC_SECRET").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("hmac");
        assertThat(GeneratedPublishTokenCondition.generatesPublishToken(relay)).isFalse();

        spec.getJwt().setHmacSecretRef(null);
        spec.getJwt().setJwksUrl("http://keys.internal/jwks.json");
        spec.getJwt().setJwksAllowHttp(true);
        assertThat(values(env(relay), "RELAY_JWT_JWKS_URL", "RELAY_JWT_JWKS_ALLOW_HTTP"))
                .containsExactly("http://keys.internal/jwks.json", "true");
    }

    @Test
    void theSpecBecomesTheRelaysConfiguration() {
        SseRelay relay = relay();
        SseRelaySpec spec = relay.getSpec();
        spec.setHistory(new HistorySpec());
        spec.getHistory().setMaxEvents(50);
        spec.getHistory().setMaxAge("1h");
        spec.getHistory().setMaxBytes(48L << 20);
        spec.getHistory().setMaxStreams(20_000);
        spec.getHistory().setMaxTombstones(1000);
        spec.setMaxConnectionsPerAddress(50);
        spec.setHeartbeat("5s");
        spec.setMaxEventBytes(1024);
        spec.setSubscriberBufferBytes(8192);
        spec.setCors(new CorsSpec());
        spec.getCors().setAllowedOrigins(List.of("https://a.example.com", "https://b.example.com"));
        spec.setPublishAck(new PublishAckSpec());
        spec.getPublishAck().setMode(PublishAckSpec.Mode.local);
        spec.getPublishAck().setTimeout("750ms");
        Map<String, EnvVar> env = env(relay);
        assertThat(values(env, "RELAY_HISTORY_MAX_EVENTS", "RELAY_HISTORY_MAX_AGE", "RELAY_HISTORY_MAX_BYTES",
                "RELAY_HISTORY_MAX_STREAMS", "RELAY_HISTORY_MAX_TOMBSTONES", "RELAY_HEARTBEAT", "RELAY_MAX_EVENT_BYTES",
                "RELAY_SUBSCRIBER_BUFFER_BYTES", "RELAY_MAX_CONNECTIONS_PER_ADDRESS", "RELAY_CORS_ALLOWED_ORIGINS",
                "RELAY_PUBLISH_ACK", "RELAY_PUBLISH_ACK_TIMEOUT"))
                .containsExactly("50", "1h", "50331648", "20000", "1000", "5s", "1024", "8192", "50",
                        "https://a.example.com,https://b.example.com", "local", "750ms");
    }

    @Test
    void publishAuthIsTheUsersSecretOrOffWhenDisabled() {
        SseRelay own = relay();
        own.getSpec().setPublishAuth(new PublishAuthSpec());
        own.getSpec().getPublishAuth().setSecretRef(new SecretKeyRef("publishers", "key1"));
        var ref = env(own).get("RELAY_PUBLISH_TOKEN").getValueFrom().getSecretKeyRef();
        assertThat(List.of(ref.getName(), ref.getKey())).containsExactly("publishers", "key1");

        SseRelay open = relay();
        open.getSpec().setPublishAuth(new PublishAuthSpec());
        open.getSpec().getPublishAuth().setDisabled(true);
        assertThat(env(open)).doesNotContainKey("RELAY_PUBLISH_TOKEN");
        assertThat(env(open).get("RELAY_PUBLISH_AUTH_DISABLED").getValue()).isEqualTo("true");
    }

    @Test
    void tokenSubscribeAuthPassesTheSubscribersSecret() {
        SseRelay relay = relay();
        relay.getSpec().setSubscribeAuth(new SubscribeAuthSpec());
        relay.getSpec().getSubscribeAuth().setMode(SubscribeAuthSpec.Mode.token);
        relay.getSpec().getSubscribeAuth().setSecretRef(new SecretKeyRef("subscribers", null));
        Map<String, EnvVar> env = env(relay);
        assertThat(env.get("RELAY_SUBSCRIBE_AUTH").getValue()).isEqualTo("token");
        var ref = env.get("RELAY_SUBSCRIBE_TOKEN").getValueFrom().getSecretKeyRef();
        assertThat(List.of(ref.getName(), ref.getKey())).containsExactly("subscribers", "token");
    }

    private static SseRelay relay() {
        SseRelay relay = new SseRelay();
        relay.getMetadata().setName("news");
        relay.setSpec(new SseRelaySpec());
        return relay;
    }

    private static Map<String, EnvVar> env(SseRelay relay) {
        return RelayEnvironment.of(relay, RelayNames.peerTokenSecret(relay), RelayNames.publishTokenSecret(relay)).stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    }

    private static List<String> values(Map<String, EnvVar> env, String... names) {
        return java.util.Arrays.stream(names).map(n -> env.get(n).getValue()).toList();
    }
}
