package io.sserelay.e2e;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.sserelay.api.JwtSpec;
import io.sserelay.api.PublishAuthSpec;
import io.sserelay.api.SecretKeyRef;
import io.sserelay.api.SseRelay;
import io.sserelay.api.SseRelaySpec;
import io.sserelay.api.SubscribeAuthSpec;
import io.sserelay.testplane.ServiceProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An SseRelay in JWT mode on the local cluster, its relays run from the Deployment: tokens
 * signed with the key in the user's Secret are accepted through the Service, and after the key
 * is rotated in the Secret the relays roll onto it by themselves and accept only the new one.
 */
class SigningKeyRotationTest {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration ROLLOUT = Duration.ofSeconds(120);
    private static final String FIRST_KEY = "the-first-shared-secret-of-32-bytes-or-more";
    private static final String SECOND_KEY = "the-second-shared-secret-of-32-bytes-or-more";

    private static LocalCluster cluster;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.fromImages(REPO, "signed", Path.of("target", "relay-logs", "signed"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void rotatingTheKeyInItsSecretRollsTheRelaysOntoItWithoutARestart() throws Exception {
        writeKey(FIRST_KEY);
        SseRelay relay = new SseRelay();
        relay.getMetadata().setName("private");
        relay.setSpec(new SseRelaySpec());
        relay.getSpec().setReplicas(2);
        relay.getSpec().setPublishAuth(new PublishAuthSpec());
        relay.getSpec().getPublishAuth().setMode(PublishAuthSpec.Mode.jwt);
        relay.getSpec().setSubscribeAuth(new SubscribeAuthSpec());
        relay.getSpec().getSubscribeAuth().setMode(SubscribeAuthSpec.Mode.jwt);
        relay.getSpec().setJwt(new JwtSpec());
        relay.getSpec().getJwt().setHmacSecretRef(new SecretKeyRef("signing", "hmac"));
        cluster.plane().client().resources(SseRelay.class).inNamespace(cluster.namespace()).resource(relay).create();
        cluster.awaitRelays("private", 2, ROLLOUT);
        ServiceProxy service = cluster.proxyService("private");
        await().atMost(ROLLOUT).until(() -> service.readyEndpoints().size() == 2);

        String signedWithFirst = token(FIRST_KEY);
        String signedWithSecond = token(SECOND_KEY);
        assertThat(publish(service, signedWithFirst)).isEqualTo(202);
        assertThat(publish(service, signedWithSecond)).isEqualTo(401);

        writeKey(SECOND_KEY);
        await("the relays to accept only the new key").atMost(ROLLOUT).pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> publish(service, signedWithSecond) == 202 && publish(service, signedWithFirst) == 401);
        cluster.awaitRelays("private", 2, ROLLOUT);
        for (int i = 0; i < 6; i++) {
            // Each publish opens its own connection, so through the Service it may land on either relay.
            assertThat(publish(service, signedWithSecond)).isEqualTo(202);
            assertThat(publish(service, signedWithFirst)).isEqualTo(401);
        }
    }

    private static void writeKey(String key) {
        cluster.plane().client().secrets().inNamespace(cluster.namespace()).resource(new SecretBuilder()
                .withNewMetadata().withName("signing").endMetadata().addToStringData("hmac", key).build())
                .createOr(existing -> existing.update());
    }

    private static int publish(ServiceProxy service, String token) throws IOException {
        return RelayHttp.publishOnNewConnection(service.address(), "user.42", token, "hello");
    }

    private static String token(String key) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("backend")
                .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(1))))
                .claim("sserelay", Map.of("publish", List.of("user.*"))).build());
        jwt.sign(new MACSigner(key.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }
}
