package io.sserelay.relay.http;

import io.sserelay.relay.stream.PublishRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * What a publish asked for, as a SHA-256 digest: its endpoint (one event or a batch) and each
 * event's stream, type and data. Taken over the parsed events rather than the raw body, so that
 * {@code ?event=} counts and the digest can be compared on a peer that never saw the body.
 */
final class PublishDigest {

    private PublishDigest() {
    }

    static byte[] of(boolean single, List<PublishRequest> requests) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        sha256.update((byte) (single ? 1 : 2));
        for (PublishRequest request : requests) {
            field(sha256, request.stream().getBytes(StandardCharsets.US_ASCII));
            // A missing type and an empty one must differ; a type is never empty, so -1 marks none.
            if (request.type() == null) {
                length(sha256, -1);
            } else {
                field(sha256, request.type().getBytes(StandardCharsets.UTF_8));
            }
            field(sha256, request.data());
        }
        return sha256.digest();
    }

    /** Length-prefixed, so that no two different events hash the same bytes. */
    private static void field(MessageDigest sha256, byte[] bytes) {
        length(sha256, bytes.length);
        sha256.update(bytes);
    }

    private static void length(MessageDigest sha256, int length) {
        sha256.update(new byte[] {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length});
    }
}
