package io.sserelay.relay.stream;

/**
 * What objects cost on the heap, so that the history's budget counts objects, not only payload
 * bytes: a relay holding many small events spends much of its heap on per-object overhead, and a
 * budget of payload alone let it fill the heap.
 *
 * <p>The figures are for HotSpot on 64 bits with compressed references (any heap under
 * 32 GiB): 12-byte object headers, 4-byte references, sizes rounded up to 8 bytes. They err
 * on the high side.
 */
public final class HeapCost {

    /** A heap {@code ByteBuffer} object, without its array. */
    static final long BYTE_BUFFER = 56;

    private HeapCost() {
    }

    /** An object with {@code references} reference fields and nothing else. */
    public static long object(int references) {
        return align(12L + 4L * references);
    }

    /** A {@code byte[]} of {@code length} bytes. */
    static long byteArray(int length) {
        return align(16L + length);
    }

    /** A {@code String}: Latin-1 text takes a byte per character, anything else two. */
    static long string(String s) {
        if (s == null) {
            return 0;
        }
        boolean latin1 = true;
        for (int i = 0; i < s.length() && latin1; i++) {
            latin1 = s.charAt(i) < 256;
        }
        return 24 + byteArray(latin1 ? s.length() : 2 * s.length());
    }

    /** A heap buffer with its array. */
    public static long buffer(int capacity) {
        return BYTE_BUFFER + byteArray(capacity);
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }
}
