package io.sserelay.relay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.sserelay.api.relay.RelayLimits;

import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks signed tokens (JWS-signed JWTs): their shape and JSON types first
 * ({@link CompactToken}), then with Nimbus JOSE+JWT the algorithm against an allow-list (never
 * {@code none}) and the signature with a configured key, then here {@code exp}, {@code nbf} and
 * {@code iat} by one clock-skew rule, and {@code iss} and {@code aud}. What the holder may do
 * comes from its claims: {@code sserelay.subscribe} and {@code sserelay.publish}, or Mercure's
 * {@code mercure.subscribe} and {@code mercure.publish}, lists of {@link StreamPatterns}; both
 * are read, and the holder gets the union. Every token must carry {@code exp}.
 *
 * <p>Keys: one HMAC secret; or public keys (RSA, EC, Ed25519) given as a JWK set or PEM; or a
 * JWK set fetched from a URL by a {@link JwksFetcher}, off the request threads, and fetched
 * again (at a bounded rate) when a token names a key id it does not have, which is how an
 * issuer's key rotation arrives. A key without an id (a PEM key) verifies tokens whatever id
 * they name. Checking a token never waits for the network.
 *
 * <p>Refusals name what is wrong (expired, wrong audience, unknown key, ...) and never quote
 * the token. Thread-safe.
 */
public final class JwtAuthenticator implements Authenticator, AutoCloseable {

    /** The claims a token's rights are read from. */
    static final List<String> RIGHTS_CLAIMS = List.of("sserelay", "mercure");

    private final JwtSettings settings;
    private final Set<JWSAlgorithm> algorithms;
    /** The HMAC verifier, or null for public keys. */
    private final JWSVerifier hmac;
    /** Fixed public keys, or null. */
    private final JWKSet publicKeys;
    /** The keys of a JWK set URL, or null. */
    private final JwksFetcher jwks;

    /** @throws IllegalArgumentException when the keys or algorithms cannot be used; the message says why */
    public JwtAuthenticator(JwtSettings settings) {
        this.settings = settings;
        this.algorithms = algorithms(settings);
        if (settings.keys() instanceof JwtSettings.HmacSecret secret) {
            requireLongEnough(secret);
            try {
                this.hmac = new MACVerifier(secret.secret());
            } catch (JOSEException e) {
                throw new IllegalArgumentException("the HMAC secret cannot be used: " + e.getMessage(), e);
            }
            this.publicKeys = null;
            this.jwks = null;
        } else if (settings.keys() instanceof JwtSettings.PublicKeys keys) {
            this.hmac = null;
            this.publicKeys = PublicKeyText.parse(keys.text());
            this.jwks = null;
        } else {
            JwtSettings.JwksUrl url = (JwtSettings.JwksUrl) settings.keys();
            this.hmac = null;
            this.publicKeys = null;
            this.jwks = new JwksFetcher(url.url(), url.cacheFor(), url.minRefresh());
        }
    }

    /**
     * Refuses settings whose keys or algorithms cannot work, saying why, without starting to
     * fetch a JWK set: what a relay checks at start, before it listens.
     *
     * @throws IllegalArgumentException naming the problem
     */
    public static void check(JwtSettings settings) {
        algorithms(settings);
        if (settings.keys() instanceof JwtSettings.HmacSecret secret) {
            requireLongEnough(secret);
        } else if (settings.keys() instanceof JwtSettings.PublicKeys keys) {
            PublicKeyText.parse(keys.text());
        }
    }

    private static void requireLongEnough(JwtSettings.HmacSecret secret) {
        if (secret.secret().length < RelayLimits.MIN_HMAC_SECRET_BYTES) {
            throw new IllegalArgumentException("the HMAC secret is " + secret.secret().length
                    + " bytes; HS256 needs at least " + RelayLimits.MIN_HMAC_SECRET_BYTES + " (RFC 7518, section 3.2)");
        }
    }

    /** The algorithms accepted: those configured, or every one the kind of key can verify. */
    private static Set<JWSAlgorithm> algorithms(JwtSettings settings) {
        boolean hmacKey = settings.keys() instanceof JwtSettings.HmacSecret;
        Set<JWSAlgorithm> accepted = new LinkedHashSet<>();
        int secretBits = hmacKey ? 8 * ((JwtSettings.HmacSecret) settings.keys()).secret().length : 0;
        if (settings.algorithms().isEmpty()) {
            if (hmacKey) {
                // Each HS algorithm needs a secret at least as long as its hash (RFC 7518, section 3.2).
                accepted.add(JWSAlgorithm.HS256);
                if (secretBits >= 384) {
                    accepted.add(JWSAlgorithm.HS384);
                }
                if (secretBits >= 512) {
                    accepted.add(JWSAlgorithm.HS512);
                }
            } else {
                accepted.addAll(JWSAlgorithm.Family.RSA);
                accepted.addAll(JWSAlgorithm.Family.EC);
                accepted.addAll(JWSAlgorithm.Family.ED);
            }
            return Set.copyOf(accepted);
        }
        for (String name : settings.algorithms()) {
            JWSAlgorithm algorithm = JWSAlgorithm.parse(name);
            boolean hmac = JWSAlgorithm.Family.HMAC_SHA.contains(algorithm);
            boolean known = hmac || JWSAlgorithm.Family.SIGNATURE.contains(algorithm);
            if (!known) {
                throw new IllegalArgumentException("'" + name + "' is not a JWS signature algorithm this relay knows;"
                        + " use HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512,"
                        + " EdDSA or Ed25519");
            }
            if (hmac != hmacKey) {
                throw new IllegalArgumentException("'" + name + "' does not go with "
                        + (hmac ? "public keys: HS algorithms need an HMAC secret"
                                : "an HMAC secret, which verifies HS256, HS384 and HS512 only"));
            }
            int needed = hmac ? Integer.parseInt(algorithm.getName().substring(2)) : 0;
            if (secretBits < needed) {
                throw new IllegalArgumentException("'" + name + "' needs an HMAC secret of at least " + needed / 8
                        + " bytes; this one has " + secretBits / 8 + " (RFC 7518, section 3.2)");
            }
            accepted.add(algorithm);
        }
        return Set.copyOf(accepted);
    }

    @Override
    public Grant authenticate(String credential) throws AuthFailure {
        CompactToken token = CompactToken.parse(credential);
        JWT jwt;
        try {
            jwt = JWTParser.parse(credential);
        } catch (ParseException | RuntimeException e) {
            // CompactToken has checked every type Nimbus reads; a runtime failure of its parser on
            // input no check foresaw is still the client's bad token, not a fault of the relay.
            throw new AuthFailure(AuthFailure.Reason.INVALID, "the token is not a JWT: three base64url parts, a JSON"
                    + " header and claims");
        }
        if (jwt instanceof PlainJWT) {
            throw new AuthFailure(AuthFailure.Reason.ALGORITHM, "the token is unsigned (alg none), which is never accepted");
        }
        if (!(jwt instanceof SignedJWT signed)) {
            throw new AuthFailure(AuthFailure.Reason.INVALID, "the token is encrypted; send a signed token (JWS)");
        }
        JWSHeader header = signed.getHeader();
        if (!algorithms.contains(header.getAlgorithm())) {
            throw new AuthFailure(AuthFailure.Reason.ALGORITHM, "the token is signed with " + header.getAlgorithm()
                    + ", which this relay does not accept; it accepts " + sorted(algorithms));
        }
        List<JWSVerifier> verifiers = verifiers(header);
        if (verifiers.isEmpty()) {
            throw new AuthFailure(AuthFailure.Reason.UNKNOWN_KEY, "no key of this relay matches the token's "
                    + (header.getKeyID() == null ? "algorithm " + header.getAlgorithm()
                            : "key id '" + header.getKeyID() + "' and algorithm " + header.getAlgorithm()));
        }
        if (!verifiesWithAny(signed, verifiers)) {
            throw new AuthFailure(AuthFailure.Reason.SIGNATURE, "the token's signature does not verify");
        }
        long validUntil = checkTimes(token, System.currentTimeMillis());
        checkIssuerAndAudience(token.claims());
        JWTClaimsSet claims;
        try {
            claims = signed.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            throw new AuthFailure(AuthFailure.Reason.INVALID, "the token's claims are not valid JWT claims: a JSON"
                    + " object whose exp, nbf and iat are numbers and whose aud is a string or a list of strings");
        }
        return grant(claims, validUntil);
    }

    /**
     * The one clock rule (docs/auth.md, "Clock skew"): a token is good from {@code nbf} minus the
     * skew until {@code exp} plus the skew, and was not issued ({@code iat}) more than the skew in
     * the future. The end of that span is when a stream opened with the token ends.
     *
     * @return until when the token is good, in milliseconds since the epoch
     */
    private long checkTimes(CompactToken token, long nowMillis) throws AuthFailure {
        long skew = settings.clockSkew().toMillis();
        long validUntil = token.expSeconds() * 1000 + skew;
        if (validUntil <= nowMillis) {
            throw new AuthFailure(AuthFailure.Reason.EXPIRED, "the token expired at "
                    + Instant.ofEpochSecond(token.expSeconds()));
        }
        if (token.nbfSeconds() != null && token.nbfSeconds() * 1000 - skew > nowMillis) {
            throw new AuthFailure(AuthFailure.Reason.NOT_YET_VALID, "the token is not valid before "
                    + Instant.ofEpochSecond(token.nbfSeconds()));
        }
        if (token.iatSeconds() != null && token.iatSeconds() * 1000 - skew > nowMillis) {
            throw new AuthFailure(AuthFailure.Reason.NOT_YET_VALID, "the token says it was issued at "
                    + Instant.ofEpochSecond(token.iatSeconds()) + ", in the future; check the issuer's clock");
        }
        return validUntil;
    }

    /** Verifiers for the keys that may have signed a token with {@code header}. */
    private List<JWSVerifier> verifiers(JWSHeader header) throws AuthFailure {
        if (hmac != null) {
            return List.of(hmac);
        }
        JWKSet candidates = publicKeys;
        if (jwks != null) {
            List<JWK> fetched = jwks.keys();
            if (fetched == null) {
                jwks.missing();
                throw new AuthFailure(AuthFailure.Reason.KEYS_UNAVAILABLE, "the keys that verify tokens have not been"
                        + " fetched yet; try again later");
            }
            candidates = new JWKSet(fetched);
        }
        JWKMatcher matcher = JWKMatcher.forJWSHeader(header);
        if (matcher == null) {
            return List.of();
        }
        List<JWK> keys = new JWKSelector(matcher).select(candidates);
        if (keys.isEmpty() && header.getKeyID() != null) {
            // Keys without an id (given as PEM) verify tokens whatever id they name.
            JWKMatcher anyId = JWKMatcher.forJWSHeader(new JWSHeader.Builder(header).keyID(null).build());
            keys = new JWKSelector(anyId).select(candidates).stream().filter(k -> k.getKeyID() == null).toList();
        }
        if (keys.isEmpty() && jwks != null) {
            jwks.missing(); // perhaps a key the issuer added since the last fetch
        }
        List<JWSVerifier> verifiers = new ArrayList<>(keys.size());
        for (JWK key : keys) {
            if (!mayVerify(key, header.getAlgorithm())) {
                continue;
            }
            try {
                if (key instanceof RSAKey rsa) {
                    verifiers.add(new RSASSAVerifier(rsa));
                } else if (key instanceof ECKey ec) {
                    verifiers.add(new ECDSAVerifier(ec));
                } else if (key instanceof OctetKeyPair okp) {
                    verifiers.add(new Ed25519Verifier(okp.toPublicJWK()));
                }
            } catch (JOSEException e) {
                // A key that cannot verify (an unsupported curve) is no candidate.
            }
        }
        return verifiers;
    }

    /**
     * Whether {@code key} may check a signature made with {@code algorithm}: a key that names its
     * {@code alg} is bound to it, and one whose {@code use} is not {@code sig} signs nothing
     * (RFC 7517, sections 4.2 and 4.4).
     */
    static boolean mayVerify(JWK key, JWSAlgorithm algorithm) {
        if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(algorithm.getName())) {
            return false;
        }
        return key.getKeyUse() == null || KeyUse.SIGNATURE.equals(key.getKeyUse());
    }

    /** Stops fetching a JWK set, if it does. */
    @Override
    public void close() {
        if (jwks != null) {
            jwks.close();
        }
    }

    private static boolean verifiesWithAny(SignedJWT signed, List<JWSVerifier> verifiers) {
        for (JWSVerifier verifier : verifiers) {
            try {
                if (signed.verify(verifier)) {
                    return true;
                }
            } catch (JOSEException e) {
                // This key cannot check this signature; another may.
            }
        }
        return false;
    }

    /** {@code iss} must be the configured issuer and {@code aud} must hold the configured audience, when set. */
    private void checkIssuerAndAudience(Map<String, Object> claims) throws AuthFailure {
        if (settings.issuer() != null && !settings.issuer().equals(claims.get("iss"))) {
            throw new AuthFailure(AuthFailure.Reason.ISSUER, "the token's issuer (iss) is not the one this relay"
                    + " trusts, '" + settings.issuer() + "'");
        }
        Object aud = claims.get("aud"); // a string or a list of strings (CompactToken)
        if (settings.audience() != null && !(settings.audience().equals(aud)
                || aud instanceof List<?> list && list.contains(settings.audience()))) {
            throw new AuthFailure(AuthFailure.Reason.AUDIENCE, "the token's audience (aud) does not include '"
                    + settings.audience() + "'");
        }
    }

    private static Grant grant(JWTClaimsSet claims, long validUntilMillis) throws AuthFailure {
        StreamPatterns subscribe = StreamPatterns.NONE;
        StreamPatterns publish = StreamPatterns.NONE;
        for (String name : RIGHTS_CLAIMS) {
            Map<String, Object> rights;
            try {
                rights = claims.getJSONObjectClaim(name);
            } catch (ParseException e) {
                throw new AuthFailure(AuthFailure.Reason.INVALID, "the token's " + name
                        + " claim must be an object with subscribe and publish lists");
            }
            if (rights != null) {
                subscribe = subscribe.or(patterns(rights, name, "subscribe"));
                publish = publish.or(patterns(rights, name, "publish"));
            }
        }
        return new Grant(subscribe, publish, validUntilMillis);
    }

    private static StreamPatterns patterns(Map<String, Object> rights, String claim, String right) throws AuthFailure {
        Object value = rights.get(right);
        if (value == null) {
            return StreamPatterns.NONE;
        }
        if (!(value instanceof List<?> list)) {
            throw new AuthFailure(AuthFailure.Reason.INVALID, "the token's " + claim + "." + right
                    + " claim must be a list of stream names and patterns");
        }
        List<String> patterns = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof String pattern)) {
                throw new AuthFailure(AuthFailure.Reason.INVALID, "the token's " + claim + "." + right
                        + " claim must list strings only");
            }
            patterns.add(pattern);
        }
        return StreamPatterns.of(patterns);
    }

    private static List<String> sorted(Set<JWSAlgorithm> algorithms) {
        return algorithms.stream().map(JWSAlgorithm::getName).sorted().toList();
    }
}
