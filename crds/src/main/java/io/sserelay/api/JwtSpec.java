package io.sserelay.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.sserelay.api.relay.DurationText;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;

import java.util.List;

/**
 * How the relays check signed tokens (JWT) when {@code publishAuth.mode} or
 * {@code subscribeAuth.mode} is {@code jwt}; docs/auth.md.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.hmacSecretRef) ? 1 : 0) + (has(self.publicKeysSecretRef) ? 1 : 0)"
        + " + (has(self.jwksUrl) ? 1 : 0) == 1",
        message = "jwt needs exactly one of hmacSecretRef (a shared secret), publicKeysSecretRef (PEM or JWK public"
                + " keys) and jwksUrl (the issuer's JWK set)")
// The relay checks the same (JwtConfig): https, or a loopback host, or plain http allowed. The
// host must end where the authority does, so http://localhost.example.com or
// http://127.0.0.1@example.com do not pass for loopback.
@ValidationRule(value = "!has(self.jwksUrl) || self.jwksUrl.startsWith('https://')"
        + " || self.jwksUrl.matches('^http://(localhost|127[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}|[[]::1[]])(:[0-9]+)?(/|$)')"
        + " || (has(self.jwksAllowHttp) && self.jwksAllowHttp)",
        message = "jwt.jwksUrl must be https: the keys that decide who gets in must not travel where anyone on the"
                + " path could swap them; set jwt.jwksAllowHttp: true only for a network you trust")
public class JwtSpec {

    @JsonPropertyDescription("The Secret key holding the shared HMAC secret (HS256; at least "
            + RelayLimits.MIN_HMAC_SECRET_BYTES + " bytes).")
    private SecretKeyRef hmacSecretRef;

    @JsonPropertyDescription("The Secret key holding public keys: a JWK set, one JWK, or PEM RSA/EC public keys.")
    private SecretKeyRef publicKeysSecretRef;

    @JsonPropertyDescription("The issuer's JWK set URL, fetched by the relays and fetched again for new key ids.")
    @Pattern("^https?://[^\\s/?#]+[^\\s]*$")
    @Size(max = 2048) // bounds the cost of the CEL rule that parses it
    private String jwksUrl;

    @JsonPropertyDescription("Accept a plain http jwksUrl (https is required otherwise, except on loopback).")
    private Boolean jwksAllowHttp;

    @JsonPropertyDescription("The iss tokens must carry; any when unset.")
    private String issuer;

    @JsonPropertyDescription("A value the tokens' aud must contain; any when unset.")
    private String audience;

    @JsonPropertyDescription("The alg values accepted; by default every one the keys can verify. Never none.")
    private List<Algorithm> algorithms;

    @JsonPropertyDescription("The cookie a browser's token comes in (subscribers).")
    @Pattern("^" + RelayLimits.COOKIE_NAME + "$")
    private String cookie;

    @JsonPropertyDescription("Accept a subscriber's token as ?access_token= too (it appears in access logs).")
    private Boolean queryParameter;

    @JsonPropertyDescription("How far exp and nbf may be off the relay's clock; " + RelayDefaults.JWT_CLOCK_SKEW
            + " when unset.")
    @ValidationRule(value = DurationText.RULE + " && duration(self) <= duration('" + RelayLimits.MAX_JWT_CLOCK_SKEW + "')",
            message = "jwt.clockSkew must be a duration of at most " + RelayLimits.MAX_JWT_CLOCK_SKEW + ", e.g. "
                    + RelayDefaults.JWT_CLOCK_SKEW)
    private String clockSkew;

    @JsonPropertyDescription("End a subscriber's stream, with retry, when its token expires (default "
            + RelayDefaults.JWT_END_STREAM_AT_EXPIRY + ").")
    private Boolean endStreamAtExpiry;

    /** The JWS algorithms a relay can verify. */
    public enum Algorithm {
        HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519
    }

    public SecretKeyRef getHmacSecretRef() {
        return hmacSecretRef;
    }

    public void setHmacSecretRef(SecretKeyRef hmacSecretRef) {
        this.hmacSecretRef = hmacSecretRef;
    }

    public SecretKeyRef getPublicKeysSecretRef() {
        return publicKeysSecretRef;
    }

    public void setPublicKeysSecretRef(SecretKeyRef publicKeysSecretRef) {
        this.publicKeysSecretRef = publicKeysSecretRef;
    }

    public String getJwksUrl() {
        return jwksUrl;
    }

    public void setJwksUrl(String jwksUrl) {
        this.jwksUrl = jwksUrl;
    }

    public Boolean getJwksAllowHttp() {
        return jwksAllowHttp;
    }

    public void setJwksAllowHttp(Boolean jwksAllowHttp) {
        this.jwksAllowHttp = jwksAllowHttp;
    }

    public String getIssuer() {
        return issuer;
    }

    public void setIssuer(String issuer) {
        this.issuer = issuer;
    }

    public String getAudience() {
        return audience;
    }

    public void setAudience(String audience) {
        this.audience = audience;
    }

    public List<Algorithm> getAlgorithms() {
        return algorithms;
    }

    public void setAlgorithms(List<Algorithm> algorithms) {
        this.algorithms = algorithms;
    }

    public String getCookie() {
        return cookie;
    }

    public void setCookie(String cookie) {
        this.cookie = cookie;
    }

    public Boolean getQueryParameter() {
        return queryParameter;
    }

    public void setQueryParameter(Boolean queryParameter) {
        this.queryParameter = queryParameter;
    }

    public String getClockSkew() {
        return clockSkew;
    }

    public void setClockSkew(String clockSkew) {
        this.clockSkew = clockSkew;
    }

    public Boolean getEndStreamAtExpiry() {
        return endStreamAtExpiry;
    }

    public void setEndStreamAtExpiry(Boolean endStreamAtExpiry) {
        this.endStreamAtExpiry = endStreamAtExpiry;
    }
}
