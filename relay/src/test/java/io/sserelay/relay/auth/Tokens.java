package io.sserelay.relay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.Ed25519Signer;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetKeyPairGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Signs tokens for tests, with real keys of each kind. */
public final class Tokens {

    /** An HMAC secret of 32 bytes. */
    public static final String HMAC_SECRET = "a-test-hmac-secret-of-32-bytes!!";

    private Tokens() {
    }

    public static RSAKey rsaKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ECKey ecKey(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static OctetKeyPair edKey(String kid) {
        try {
            return new OctetKeyPairGenerator(Curve.Ed25519).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Claims valid for an hour, granting {@code subscribe} and {@code publish} in the sserelay claim. */
    public static JWTClaimsSet.Builder claims(List<String> subscribe, List<String> publish) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().subject("user-42").issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofHours(1))))
                .claim("sserelay", Map.of("subscribe", subscribe, "publish", publish));
    }

    public static String hmac(JWTClaimsSet claims) {
        try {
            return sign(new JWSHeader(JWSAlgorithm.HS256), new MACSigner(HMAC_SECRET.getBytes()), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A token with exactly this header and these claims (JSON text, any JSON at all), signed with
     * {@link #HMAC_SECRET} whatever its header says: for tokens no JWT library would write.
     */
    public static String hmacRaw(String headerJson, String claimsJson) {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String input = base64.encodeToString(headerJson.getBytes(StandardCharsets.UTF_8)) + "."
                + base64.encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(HMAC_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return input + "." + base64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signed with {@code key} (RSA, EC P-256 or Ed25519), naming its key id. */
    public static String signed(JWK key, JWTClaimsSet claims) {
        try {
            if (key instanceof RSAKey rsa) {
                return sign(header(JWSAlgorithm.RS256, key), new RSASSASigner(rsa), claims);
            }
            if (key instanceof ECKey ec) {
                return sign(header(JWSAlgorithm.ES256, key), new ECDSASigner(ec), claims);
            }
            return sign(header(JWSAlgorithm.EdDSA, key), new Ed25519Signer((OctetKeyPair) key), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JWSHeader header(JWSAlgorithm algorithm, JWK key) {
        return new JWSHeader.Builder(algorithm).keyID(key.getKeyID()).build();
    }

    private static String sign(JWSHeader header, JWSSigner signer, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(header, claims);
        jwt.sign(signer);
        return jwt.serialize();
    }
}
