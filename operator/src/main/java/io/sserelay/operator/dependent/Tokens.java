package io.sserelay.operator.dependent;

import java.security.SecureRandom;
import java.util.Base64;

/** Random tokens for the Secrets the operator generates. */
final class Tokens {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {
    }

    /** 32 random bytes, URL-safe base64: 43 characters, well over the relay's minimum of 16. */
    static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
