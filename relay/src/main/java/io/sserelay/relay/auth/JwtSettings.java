package io.sserelay.relay.auth;

import java.net.URL;
import java.time.Duration;
import java.util.Set;

/**
 * How signed tokens (JWT, RFC 7519) are checked.
 *
 * @param keys             what verifies signatures
 * @param issuer           the {@code iss} a token must carry, or null for any
 * @param audience         a value the token's {@code aud} must contain, or null for any
 * @param algorithms       the {@code alg} values accepted (JWS algorithm names); never {@code none}
 * @param clockSkew        how far {@code exp} and {@code nbf} may be off this relay's clock
 * @param cookie           the cookie a browser's token may come in, or null for none
 * @param queryParameter   whether a subscriber may put its token in the {@code access_token}
 *                         query parameter, where proxies may log it
 * @param endStreamAtExpiry whether a subscriber's stream ends, with a {@code retry}, when its
 *                         token expires, so that it reconnects with a fresh one and resumes
 */
public record JwtSettings(Keys keys, String issuer, String audience, Set<String> algorithms, Duration clockSkew,
        String cookie, boolean queryParameter, boolean endStreamAtExpiry) {

    /** What verifies signatures. */
    public sealed interface Keys permits HmacSecret, PublicKeys, JwksUrl {
    }

    /** A shared secret for HS256, HS384 or HS512; at least 32 bytes. */
    public record HmacSecret(byte[] secret) implements Keys {

        @Override
        public String toString() {
            return "HmacSecret[" + secret.length + " bytes]"; // never the secret
        }
    }

    /** Public keys: a JWK set, one JWK, or PEM public keys (RSA, EC). */
    public record PublicKeys(String text) implements Keys {
    }

    /**
     * A JWK set fetched from {@code url}, cached for {@code cacheFor}, and fetched again when a
     * token names a key id it does not have, at most once per {@code minRefresh}.
     */
    public record JwksUrl(URL url, Duration cacheFor, Duration minRefresh) implements Keys {
    }
}
