package io.sserelay.relay.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Checks a bearer token from the {@code Authorization} header, or from the
 * {@code access_token} query parameter where that is allowed (browsers' EventSource cannot
 * set headers). Tokens are compared as SHA-256 digests in constant time, so neither the
 * content nor the length of the expected token leaks through timing.
 */
public final class BearerToken {

    /** Where a subscriber may put its token when it cannot set a header. */
    static final String QUERY_PARAMETER = "access_token";

    private final String purpose;
    private final byte[] expectedDigest;
    private final boolean queryParameterAllowed;

    public BearerToken(String purpose, String token, boolean queryParameterAllowed) {
        this.purpose = purpose;
        this.expectedDigest = digest(token);
        this.queryParameterAllowed = queryParameterAllowed;
    }

    /** Throws 401 when no token was presented and 403 when it is not the expected one. */
    public void check(HttpServerExchange exchange, RequestTarget target) {
        String presented = presented(exchange, target);
        if (presented == null) {
            String how = queryParameterAllowed
                    ? "'Authorization: Bearer <token>' or the access_token query parameter"
                    : "'Authorization: Bearer <token>'";
            throw ApiError.unauthorized(purpose + " requires a token: send " + how);
        }
        if (!MessageDigest.isEqual(expectedDigest, digest(presented))) {
            throw ApiError.forbidden("invalid_token", "the token presented for " + purpose + " is not valid");
        }
    }

    private String presented(HttpServerExchange exchange, RequestTarget target) {
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (header != null) {
            if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw ApiError.unauthorized("the Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'");
            }
            String token = header.substring(7).trim();
            return token.isEmpty() ? null : token;
        }
        if (queryParameterAllowed) {
            String value = target.single(QUERY_PARAMETER);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return null;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
