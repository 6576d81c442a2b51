package io.sserelay.relay.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One shared token that grants every stream. Tokens are compared as SHA-256 digests in
 * constant time, so neither the content nor the length of the expected token leaks through
 * timing.
 */
public final class StaticToken implements Authenticator {

    private final String purpose;
    private final byte[] expectedDigest;

    /** @param purpose what the token is for, as an error message says it ("publishing") */
    public StaticToken(String purpose, String token) {
        this.purpose = purpose;
        this.expectedDigest = digest(token);
    }

    @Override
    public Grant authenticate(String credential) throws AuthFailure {
        if (!MessageDigest.isEqual(expectedDigest, digest(credential))) {
            throw new AuthFailure(AuthFailure.Reason.INVALID, 403, "the token presented for " + purpose + " is not valid");
        }
        return Grant.ALL;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
