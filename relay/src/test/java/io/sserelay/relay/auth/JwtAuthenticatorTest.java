package io.sserelay.relay.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** Signed tokens, checked without a relay: each key type, each refusal, the rights they carry. */
class JwtAuthenticatorTest {

    private static final List<String> MINE = List.of("user.42", "news.*");

    @Test
    void anHmacTokenGrantsTheStreamsItsClaimsList() throws AuthFailure {
        Grant grant = hmac().authenticate(Tokens.hmac(Tokens.claims(MINE, List.of("user.42")).build()));
        assertThat(grant.maySubscribe("user.42")).isTrue();
        assertThat(grant.maySubscribe("news.sport")).isTrue();
        assertThat(grant.maySubscribe("news")).as("the prefix is news. with its dot").isFalse();
        assertThat(grant.maySubscribe("user.43")).isFalse();
        assertThat(grant.mayPublish("user.42")).isTrue();
        assertThat(grant.mayPublish("news.sport")).isFalse();
        assertThat(grant.expiresAtMillis()).isGreaterThan(System.currentTimeMillis());
    }

    @Test
    void mercuresClaimShapeIsReadTooAndRightsAddUp() throws AuthFailure {
        JWTClaimsSet claims = Tokens.claims(List.of("a"), List.of())
                .claim("mercure", Map.of("subscribe", List.of("b", "https://example.com/books/{id}"), "publish", List.of("*")))
                .build();
        Grant grant = hmac().authenticate(Tokens.hmac(claims));
        assertThat(grant.maySubscribe("a")).isTrue();
        assertThat(grant.maySubscribe("b")).isTrue();
        assertThat(grant.maySubscribe("c")).isFalse();
        assertThat(grant.mayPublish("anything")).as("* is every stream").isTrue();
    }

    @Test
    void aTokenWithoutRightsGrantsNothing() throws AuthFailure {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("x")
                .expirationTime(Date.from(Instant.now().plusSeconds(60))).build();
        Grant grant = hmac().authenticate(Tokens.hmac(claims));
        assertThat(grant.maySubscribe("a")).isFalse();
        assertThat(grant.mayPublish("a")).isFalse();
    }

    @Test
    void rsaEcAndEd25519PublicKeysEachVerifyTheirTokens() throws AuthFailure {
        RSAKey rsa = Tokens.rsaKey("rsa-1");
        ECKey ec = Tokens.ecKey("ec-1");
        OctetKeyPair ed = Tokens.edKey("ed-1");
        JwtAuthenticator keys = publicKeys(new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK(), ed.toPublicJWK()))
                .toString());
        JWTClaimsSet claims = Tokens.claims(MINE, List.of()).build();
        for (var key : List.of(rsa, ec, ed)) {
            assertThat(keys.authenticate(Tokens.signed(key, claims)).maySubscribe("user.42")).as(key.getKeyType().getValue())
                    .isTrue();
        }
        String otherRsa = Tokens.signed(Tokens.rsaKey("rsa-1"), claims);
        assertRefused(keys, otherRsa, AuthFailure.Reason.SIGNATURE);
    }

    @Test
    void aPemPublicKeyVerifiesTokensWhateverKeyIdTheyName() throws Exception {
        RSAKey rsa = Tokens.rsaKey("issuer-kid-7");
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(rsa.toRSAPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        JwtAuthenticator keys = publicKeys(pem);
        assertThat(keys.authenticate(Tokens.signed(rsa, Tokens.claims(MINE, List.of()).build())).maySubscribe("user.42"))
                .isTrue();
    }

    @Test
    void eachRefusalSaysWhatIsWrong() {
        JwtAuthenticator keys = new JwtAuthenticator(new JwtSettings(new JwtSettings.HmacSecret(
                Tokens.HMAC_SECRET.getBytes(StandardCharsets.UTF_8)), "https://issuer.test", "sse-relay", Set.of(),
                Duration.ofSeconds(5), null, false, true));
        Instant now = Instant.now();
        JWTClaimsSet good = Tokens.claims(MINE, List.of()).issuer("https://issuer.test").audience("sse-relay").build();
        assertThat(authenticates(keys, Tokens.hmac(good))).isTrue();

        assertRefused(keys, Tokens.hmac(new JWTClaimsSet.Builder(good).expirationTime(Date.from(now.minusSeconds(60)))
                .build()), AuthFailure.Reason.EXPIRED);
        assertRefused(keys, Tokens.hmac(new JWTClaimsSet.Builder(good).notBeforeTime(Date.from(now.plusSeconds(60)))
                .build()), AuthFailure.Reason.NOT_YET_VALID);
        assertRefused(keys, Tokens.hmac(new JWTClaimsSet.Builder(good).issuer("https://evil.test").build()),
                AuthFailure.Reason.ISSUER);
        assertRefused(keys, Tokens.hmac(new JWTClaimsSet.Builder(good).audience("another-service").build()),
                AuthFailure.Reason.AUDIENCE);
        assertRefused(keys, Tokens.hmac(new JWTClaimsSet.Builder(good).expirationTime(null).build()),
                AuthFailure.Reason.INVALID);
        assertRefused(keys, new PlainJWT(good).serialize(), AuthFailure.Reason.ALGORITHM);
        assertRefused(keys, Tokens.signed(Tokens.rsaKey("k"), good), AuthFailure.Reason.ALGORITHM);
        assertRefused(keys, "not.a.token", AuthFailure.Reason.INVALID);
        assertRefused(keys, "", AuthFailure.Reason.INVALID);

        String token = Tokens.hmac(good);
        String[] parts = token.split("\\.");
        String widened = Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                        .replace("user.42", "user.43").getBytes(StandardCharsets.UTF_8));
        assertRefused(keys, parts[0] + "." + widened + "." + parts[2], AuthFailure.Reason.SIGNATURE);
    }

    @Test
    void partsOfTheWrongJsonTypeAreInvalidTokensEvenWhenTheSignatureIsGood() {
        JwtAuthenticator keys = hmac();
        long exp = Instant.now().plusSeconds(600).getEpochSecond();
        // The reported attack: a header that is the JSON null, claims {}, no signature.
        assertRefused(keys, "bnVsbA.e30.", AuthFailure.Reason.INVALID);
        for (String header : List.of("null", "[]", "\"HS256\"", "42", "{\"alg\":null}", "{\"alg\":256}",
                "{\"alg\":\"HS256\",\"kid\":7}", "{\"alg\":\"HS256\",\"typ\":{}}", "{", "{\"alg\":\"HS256\"}}")) {
            assertRefused(keys, Tokens.hmacRaw(header, "{\"exp\":" + exp + "}"), AuthFailure.Reason.INVALID);
        }
        for (String claims : List.of("null", "[]", "true", "{\"exp\":null}", "{\"exp\":\"" + exp + "\"}",
                "{\"exp\":[" + exp + "]}", "{\"exp\":{}}", "{\"exp\":-1}", "{\"exp\":1e300}",
                "{\"exp\":" + exp + ",\"nbf\":null}", "{\"exp\":" + exp + ",\"iat\":\"now\"}",
                "{\"exp\":" + exp + ",\"iss\":5}", "{\"exp\":" + exp + ",\"aud\":[1,2]}",
                "{\"exp\":" + exp + ",\"sub\":null}", "{\"exp\":" + exp + ",\"sserelay\":[\"*\"]}",
                "{\"exp\":" + exp + ",\"sserelay\":{\"subscribe\":\"*\"}}",
                "{\"exp\":" + exp + ",\"mercure\":{\"publish\":[null]}}", "{}")) {
            assertRefused(keys, Tokens.hmacRaw("{\"alg\":\"HS256\"}", claims), AuthFailure.Reason.INVALID);
        }
        assertThat(authenticates(keys, Tokens.hmacRaw("{\"alg\":\"HS256\"}", "{\"exp\":" + exp + ".75}")))
                .as("a NumericDate may have a fraction").isTrue();
    }

    @Test
    void anythingButThreeBase64UrlPartsIsAnInvalidToken() {
        JwtAuthenticator keys = hmac();
        String good = Tokens.hmac(Tokens.claims(MINE, List.of()).build());
        String[] parts = good.split("\\.");
        List<String> bad = List.of(
                parts[0] + "." + parts[1].substring(0, 10) + " " + parts[1].substring(10) + "." + parts[2],
                parts[0] + "." + parts[1] + "=." + parts[2], parts[0] + "." + parts[1] + "." + parts[2] + "+",
                parts[0] + "." + parts[1], good + ".x", "." + parts[1] + "." + parts[2], parts[0] + ".." + parts[2],
                "\u00e9" + good, parts[0] + "." + parts[1] + "\t." + parts[2], "a".repeat(20_000) + "." + parts[1] + ".x",
                parts[0].substring(1) + "." + parts[1] + "." + parts[2]);
        for (String token : bad) {
            assertRefused(keys, token, AuthFailure.Reason.INVALID);
        }
    }

    @Test
    void timeClaimsFollowOneClockSkewRule() {
        JwtAuthenticator keys = hmac(); // 5 s of skew
        Instant now = Instant.now();
        JWTClaimsSet.Builder good = Tokens.claims(MINE, List.of());
        assertRefused(keys, Tokens.hmac(good.issueTime(Date.from(now.plusSeconds(3600))).build()),
                AuthFailure.Reason.NOT_YET_VALID);
        assertThat(authenticates(keys, Tokens.hmac(good.issueTime(Date.from(now.plusSeconds(2))).build())))
                .as("iat within the skew").isTrue();
        assertThat(authenticates(keys, Tokens.hmac(good.issueTime(null).notBeforeTime(Date.from(now.plusSeconds(2)))
                .build()))).as("nbf within the skew").isTrue();
        assertThat(authenticates(keys, Tokens.hmac(good.notBeforeTime(null).expirationTime(Date.from(now.minusSeconds(2)))
                .build()))).as("exp passed, but within the skew").isTrue();
        assertRefused(keys, Tokens.hmac(good.expirationTime(Date.from(now.minusSeconds(10))).build()),
                AuthFailure.Reason.EXPIRED);
    }

    @Test
    void aGrantLastsUntilExpiryPlusTheClockSkewTheSameSpanEveryCheckUses() throws AuthFailure {
        Instant exp = Instant.now().plusSeconds(120);
        Grant grant = hmac().authenticate(Tokens.hmac(Tokens.claims(MINE, List.of())
                .expirationTime(Date.from(exp)).build()));
        assertThat(grant.expiresAtMillis()).isEqualTo(exp.getEpochSecond() * 1000 + 5_000);
    }

    @Test
    void aKeyThatNamesItsAlgorithmVerifiesOnlyThatAlgorithm() throws Exception {
        RSAKey key = Tokens.rsaKey("bound");
        RSAKey boundToPs256 = new RSAKey.Builder(key.toPublicJWK()).algorithm(JWSAlgorithm.PS256).build();
        JwtAuthenticator keys = publicKeys(new JWKSet(boundToPs256).toString());
        JWTClaimsSet claims = Tokens.claims(MINE, List.of()).build();
        assertRefused(keys, Tokens.signed(key, claims), AuthFailure.Reason.UNKNOWN_KEY); // RS256

        SignedJWT ps256 = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.PS256).keyID("bound").build(), claims);
        ps256.sign(new com.nimbusds.jose.crypto.RSASSASigner(key));
        assertThat(authenticates(keys, ps256.serialize())).isTrue();

        RSAKey forEncryption = new RSAKey.Builder(key.toPublicJWK()).keyUse(com.nimbusds.jose.jwk.KeyUse.ENCRYPTION)
                .build();
        assertRefused(publicKeys(new JWKSet(forEncryption).toString()), Tokens.signed(key, claims),
                AuthFailure.Reason.UNKNOWN_KEY);
    }

    @Test
    void aKeyThatCannotBeReadIsRefusedWithoutQuotingIt() {
        String material = "c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LW11c3Qtbm90LWJlLXByaW50ZWQ";
        assertThatThrownBy(() -> publicKeys("{\"kty\":\"" + material + "\",\"d\":\"" + material + "\"}"))
                .hasMessageStartingWith("the public keys are not a valid JWK or JWK set")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(material.substring(0, 16)));
    }

    @Test
    void aKeyUrlInAMessageShowsNeitherItsUserInfoNorItsQueryHoweverOddItIs() {
        assertThat(JwksFetcher.redacted("https://u:pa?ss@keys.test/jwks?sig=1")).isEqualTo("https://...@keys.test/jwks?...");
        assertThat(JwksFetcher.redacted("https://u:p/ss@keys.test/")).isEqualTo("https://...@keys.test/");
        assertThat(JwksFetcher.redacted("https://u:p#s@keys.test/#x")).isEqualTo("https://...@keys.test/?...");
        assertThat(JwksFetcher.redacted("http://keys.test/jwks.json?token=t")).isEqualTo("http://keys.test/jwks.json?...");
        assertThat(JwksFetcher.redacted("user:secret@keys.test")).isEqualTo("...@keys.test");
        assertThat(JwksFetcher.redacted("https://keys.test/jwks.json")).isEqualTo("https://keys.test/jwks.json");
    }

    @Test
    void anRsaKeyUnder2048BitsIsRefusedAtStart() throws Exception {
        RSAKey weak = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(1024, true).keyID("weak").generate();
        assertThatThrownBy(() -> publicKeys(new JWKSet(weak.toPublicJWK()).toString()))
                .hasMessageContaining("an RSA public key (kid 'weak') has 1024 bits; at least 2048 are needed");
    }

    @Test
    void aTokenSignedWithAnotherSecretOrAStrongerHashOfItIsRefused() throws Exception {
        SignedJWT other = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), Tokens.claims(MINE, List.of()).build());
        other.sign(new MACSigner("another-secret-that-is-32-bytes!".getBytes(StandardCharsets.UTF_8)));
        assertRefused(hmac(), other.serialize(), AuthFailure.Reason.SIGNATURE);
    }

    @Test
    void anUnknownKeyIdIsRefusedAndAJwksRotationIsFollowed() throws Exception {
        RSAKey first = Tokens.rsaKey("2026-01");
        RSAKey second = Tokens.rsaKey("2026-02");
        AtomicReference<String> served = new AtomicReference<>(new JWKSet(first.toPublicJWK()).toString());
        AtomicInteger fetches = new AtomicInteger();
        HttpServer jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        jwks.createContext("/.well-known/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        jwks.start();
        try {
            URL url = new URL("http://127.0.0.1:" + jwks.getAddress().getPort() + "/.well-known/jwks.json");
            JwtAuthenticator keys = new JwtAuthenticator(new JwtSettings(new JwtSettings.JwksUrl(url,
                    Duration.ofMinutes(5), Duration.ofSeconds(1)), null, null, Set.of(), Duration.ofSeconds(5), null,
                    false, true));
            JWTClaimsSet claims = Tokens.claims(MINE, List.of()).build();
            String signedByFirst = Tokens.signed(first, claims);
            // The set is fetched off the request thread: until it arrives, tokens are told to come back.
            await().atMost(Duration.ofSeconds(5)).until(() -> passes(keys, signedByFirst));
            assertRefused(keys, Tokens.signed(second, claims), AuthFailure.Reason.UNKNOWN_KEY);

            served.set(new JWKSet(List.of(first.toPublicJWK(), second.toPublicJWK())).toString());
            String rotated = Tokens.signed(second, claims);
            // Fetched again for the new key id, once the minimum interval since the last fetch has passed.
            await().atMost(Duration.ofSeconds(5)).until(() -> passes(keys, rotated));
            RSAKey bogus = Tokens.rsaKey("bogus");
            List<String> madeUp = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                madeUp.add(Tokens.signed(new RSAKey.Builder(bogus).keyID("bogus-" + i).build(), claims));
            }
            int afterRotation = fetches.get();
            for (String token : madeUp) {
                assertRefused(keys, token, AuthFailure.Reason.UNKNOWN_KEY);
            }
            assertThat(fetches.get() - afterRotation).as("unknown key ids do not make it fetch at will").isLessThan(5);
            keys.close();
        } finally {
            jwks.stop(0);
        }
    }

    @Test
    void aJwksUrlThatDoesNotAnswerMakesTokensComeBackLater() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (JwtAuthenticator keys = new JwtAuthenticator(new JwtSettings(new JwtSettings.JwksUrl(
                new URL("http://127.0.0.1:" + closedPort + "/jwks.json"), Duration.ofMinutes(5), Duration.ofSeconds(1)),
                null, null, Set.of(), Duration.ofSeconds(5), null, false, true))) {
            String token = Tokens.signed(Tokens.rsaKey("k"), Tokens.claims(MINE, List.of()).build());
            assertRefused(keys, token, AuthFailure.Reason.KEYS_UNAVAILABLE);
            assertThat(catchThrowableOfType(AuthFailure.class, () -> keys.authenticate(token)).mayPassLater()).isTrue();
        }
    }

    private static boolean passes(JwtAuthenticator keys, String token) {
        try {
            return keys.authenticate(token).maySubscribe("user.42");
        } catch (AuthFailure e) {
            return false;
        }
    }

    @Test
    void keysAndAlgorithmsThatCannotWorkAreRefusedAtStart() {
        assertThatThrownBy(() -> new JwtAuthenticator(new JwtSettings(new JwtSettings.HmacSecret("short".getBytes()),
                null, null, Set.of(), Duration.ZERO, null, false, true)))
                .hasMessageContaining("the HMAC secret is 5 bytes; HS256 needs at least 32");
        assertThatThrownBy(() -> new JwtAuthenticator(new JwtSettings(new JwtSettings.HmacSecret(
                Tokens.HMAC_SECRET.getBytes()), null, null, Set.of("RS256"), Duration.ZERO, null, false, true)))
                .hasMessageContaining("'RS256' does not go with an HMAC secret");
        assertThatThrownBy(() -> new JwtAuthenticator(new JwtSettings(new JwtSettings.HmacSecret(
                Tokens.HMAC_SECRET.getBytes()), null, null, Set.of("HS512"), Duration.ZERO, null, false, true)))
                .hasMessageContaining("'HS512' needs an HMAC secret of at least 64 bytes; this one has 32");
        assertThatThrownBy(() -> publicKeys("not a key"))
                .hasMessageContaining("neither JSON (a JWK or JWK set) nor PEM");
    }

    private static JwtAuthenticator hmac() {
        return new JwtAuthenticator(new JwtSettings(new JwtSettings.HmacSecret(
                Tokens.HMAC_SECRET.getBytes(StandardCharsets.UTF_8)), null, null, Set.of(), Duration.ofSeconds(5), null,
                false, true));
    }

    private static JwtAuthenticator publicKeys(String text) {
        return new JwtAuthenticator(new JwtSettings(new JwtSettings.PublicKeys(text), null, null, Set.of(),
                Duration.ofSeconds(5), null, false, true));
    }

    private static boolean authenticates(JwtAuthenticator keys, String token) {
        try {
            keys.authenticate(token);
            return true;
        } catch (AuthFailure e) {
            throw new AssertionError("refused: " + e.reason() + " " + e.getMessage(), e);
        }
    }

    private static void assertRefused(JwtAuthenticator keys, String token, AuthFailure.Reason reason) {
        assertThatThrownBy(() -> keys.authenticate(token)).isInstanceOf(AuthFailure.class)
                .satisfies(e -> assertThat(((AuthFailure) e).reason()).as(e.getMessage()).isEqualTo(reason))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token.isEmpty() ? "\u0000" : token));
    }
}
