package io.sserelay.bench.scenario;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.sserelay.relay.auth.AuthFailure;
import io.sserelay.relay.auth.JwtAuthenticator;
import io.sserelay.relay.auth.JwtSettings;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A signed token per benchmark subscriber (RS256 with one 2048-bit key, as an identity
 * provider would issue them), and what verifying them costs in the relay's own code.
 */
final class SignedTokens {

    private final RSAKey key;
    private final List<String> tokens;

    private SignedTokens(RSAKey key, List<String> tokens) {
        this.key = key;
        this.tokens = tokens;
    }

    /** Token {@code i} is user {@code user-i}'s and lets it subscribe to {@code stream}, for an hour. */
    static SignedTokens forSubscribers(int count, String stream) throws JOSEException {
        RSAKey key = new RSAKeyGenerator(2048).keyID("bench").generate();
        RSASSASigner signer = new RSASSASigner(key);
        Date expires = Date.from(Instant.now().plus(Duration.ofHours(1)));
        List<String> tokens = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                    new JWTClaimsSet.Builder().subject("user-" + i).expirationTime(expires)
                            .claim("sserelay", Map.of("subscribe", List.of(stream))).build());
            jwt.sign(signer);
            tokens.add(jwt.serialize());
        }
        return new SignedTokens(key, tokens);
    }

    String token(int i) {
        return tokens.get(i);
    }

    /** The public key as the relay's RELAY_JWT_PUBLIC_KEYS takes it (PEM). */
    String publicKeyPem() throws JOSEException {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.toRSAPublicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    /** Microseconds per token for the relay's authenticator, after a warm-up pass over all of them. */
    double verificationMicros() throws JOSEException, AuthFailure {
        JwtAuthenticator authenticator = new JwtAuthenticator(new JwtSettings(new JwtSettings.PublicKeys(publicKeyPem()),
                null, null, Set.of(), Duration.ofSeconds(30), null, false, true));
        for (String token : tokens) {
            authenticator.authenticate(token);
        }
        long start = System.nanoTime();
        for (String token : tokens) {
            authenticator.authenticate(token);
        }
        return (System.nanoTime() - start) / 1e3 / tokens.size();
    }
}
