package io.sserelay.relay.http;

/**
 * What an {@code Idempotency-Key} header may hold: 1 to {@value #MAX_LENGTH} printable ASCII
 * characters. The keys themselves travel with their events in the cluster protocol, and last as
 * long as the events do (docs/relay.md).
 */
final class IdempotencyKey {

    static final int MAX_LENGTH = 255;

    private IdempotencyKey() {
    }

    /** What is wrong with {@code key}, or null when it is a valid key. */
    static String problem(String key) {
        if (key.isEmpty() || key.length() > MAX_LENGTH) {
            return "the Idempotency-Key is " + key.length() + " characters long; use 1 to " + MAX_LENGTH;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return "the Idempotency-Key may hold printable ASCII characters only (a UUID is a good key);"
                        + " character " + (i + 1) + " is not one";
            }
        }
        return null;
    }
}
