package io.sserelay.relay.config;

import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.api.relay.RelayLimits;
import io.sserelay.api.relay.RelayVariables;
import io.sserelay.relay.auth.JwksFetcher;
import io.sserelay.relay.auth.JwtAuthenticator;
import io.sserelay.relay.auth.JwtSettings;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads the {@code RELAY_JWT_*} variables: how signed tokens are checked (docs/auth.md). */
final class JwtConfig {

    private static final Pattern COOKIE_NAME = Pattern.compile(RelayLimits.COOKIE_NAME);

    private JwtConfig() {
    }

    /** The settings, or null when neither side uses signed tokens; problems go to {@code in}. */
    static JwtSettings read(EnvironmentReader in, boolean publishJwt, boolean subscribeJwt) {
        if (!publishJwt && !subscribeJwt) {
            for (String name : RelayVariables.JWT) {
                if (in.string(name) != null) {
                    in.problem(name + " is set but neither RELAY_PUBLISH_AUTH nor RELAY_SUBSCRIBE_AUTH is jwt");
                }
            }
            return null;
        }
        String hmac = in.string(RelayVariables.JWT_HMAC_SECRET);
        String publicKeys = in.string(RelayVariables.JWT_PUBLIC_KEYS);
        String jwksUrl = in.string(RelayVariables.JWT_JWKS_URL);
        int given = (hmac == null ? 0 : 1) + (publicKeys == null ? 0 : 1) + (jwksUrl == null ? 0 : 1);
        Duration cacheFor = in.duration(RelayVariables.JWT_JWKS_CACHE, Duration.ofMinutes(5), Duration.ofSeconds(1),
                Duration.ofDays(1));
        Duration minRefresh = in.duration(RelayVariables.JWT_JWKS_MIN_REFRESH, Duration.ofSeconds(30), Duration.ofMillis(100),
                Duration.ofHours(1));
        JwtSettings.Keys keys = null;
        if (given != 1) {
            in.problem("signed tokens need exactly one of RELAY_JWT_HMAC_SECRET (a shared secret),"
                    + " RELAY_JWT_PUBLIC_KEYS (PEM or JWK set) and RELAY_JWT_JWKS_URL; "
                    + (given == 0 ? "none is set" : given + " are set"));
        } else if (hmac != null) {
            keys = new JwtSettings.HmacSecret(hmac.getBytes(StandardCharsets.UTF_8));
        } else if (publicKeys != null) {
            keys = new JwtSettings.PublicKeys(publicKeys);
        } else {
            keys = jwks(in, jwksUrl, cacheFor, minRefresh);
        }
        List<String> algorithms = new ArrayList<>(in.list(RelayVariables.JWT_ALGORITHMS));
        if (algorithms.stream().anyMatch(a -> a.equalsIgnoreCase("none"))) {
            in.problem(RelayVariables.JWT_ALGORITHMS, "none", "is never accepted: unsigned tokens prove nothing");
        }
        Duration skew = in.duration(RelayVariables.JWT_CLOCK_SKEW, RelayDefaults.JWT_CLOCK_SKEW, "0s",
                RelayLimits.MAX_JWT_CLOCK_SKEW);
        String cookie = in.string(RelayVariables.JWT_COOKIE);
        if (cookie != null && !COOKIE_NAME.matcher(cookie).matches()) {
            in.problem(RelayVariables.JWT_COOKIE, cookie, "is not a cookie name: use letters, digits and !#$%&'*+.^_`|~-");
        }
        if (cookie != null && !subscribeJwt) {
            in.problem("RELAY_JWT_COOKIE is set but RELAY_SUBSCRIBE_AUTH is not jwt: the cookie carries subscribers' tokens");
        }
        boolean query = in.bool(RelayVariables.JWT_QUERY_PARAMETER, RelayDefaults.JWT_QUERY_PARAMETER);
        boolean endAtExpiry = in.bool(RelayVariables.JWT_END_STREAM_AT_EXPIRY, RelayDefaults.JWT_END_STREAM_AT_EXPIRY);
        JwtSettings settings = new JwtSettings(keys, in.string(RelayVariables.JWT_ISSUER), in.string(RelayVariables.JWT_AUDIENCE),
                Set.copyOf(algorithms), skew, cookie, query, endAtExpiry);
        if (keys != null) {
            try {
                JwtAuthenticator.check(settings);
            } catch (IllegalArgumentException e) {
                in.problem("signed tokens: " + e.getMessage());
            }
        }
        return settings;
    }

    private static JwtSettings.Keys jwks(EnvironmentReader in, String text, Duration cacheFor, Duration minRefresh) {
        boolean allowHttp = in.bool(RelayVariables.JWT_JWKS_ALLOW_HTTP, RelayDefaults.JWT_JWKS_ALLOW_HTTP);
        // Messages name the URL without what may be a credential: user info, query, fragment.
        String shown = JwksFetcher.redacted(text);
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            in.problem(RelayVariables.JWT_JWKS_URL, shown, "is not a URL: " + e.getReason() + " at index " + e.getIndex());
            return null;
        }
        if (uri.getHost() == null || !"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            in.problem(RelayVariables.JWT_JWKS_URL, shown, "is not an https URL with a host");
            return null;
        }
        if ("http".equals(uri.getScheme()) && !allowHttp && !isLoopback(uri.getHost())) {
            in.problem(RelayVariables.JWT_JWKS_URL, shown, "is plain http: the keys that decide who gets in must come"
                    + " over https (anyone on the path could swap them); use https, or set"
                    + " RELAY_JWT_JWKS_ALLOW_HTTP=true for a network you trust");
            return null;
        }
        try {
            return new JwtSettings.JwksUrl(uri.toURL(), cacheFor, minRefresh);
        } catch (MalformedURLException | IllegalArgumentException e) {
            in.problem(RelayVariables.JWT_JWKS_URL, shown, "is not a URL this relay can fetch");
            return null;
        }
    }

    /** Whether {@code host} (as a URI gives it) names this machine: localhost, 127.0.0.0/8 or [::1]. */
    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.equals("[::1]") || host.matches("127(\\.[0-9]{1,3}){3}");
    }

    /** The settings for a log line: never a secret or a key. */
    static String describe(JwtSettings settings) {
        String keys = settings.keys() instanceof JwtSettings.HmacSecret ? "hmac"
                : settings.keys() instanceof JwtSettings.JwksUrl jwks ? "jwks " + JwksFetcher.redacted(jwks.url()) : "public keys";
        return "[keys=" + keys + ", issuer=" + settings.issuer() + ", audience=" + settings.audience()
                + ", algorithms=" + (settings.algorithms().isEmpty() ? "by key" : settings.algorithms())
                + ", clockSkew=" + settings.clockSkew() + ", cookie=" + settings.cookie()
                + ", queryParameter=" + settings.queryParameter() + ", endStreamAtExpiry=" + settings.endStreamAtExpiry()
                + "]";
    }
}
