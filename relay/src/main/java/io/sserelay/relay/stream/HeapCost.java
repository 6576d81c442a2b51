package io.sserelay.relay.stream;

/**
 * What the hub's state costs on the heap, so that the history's budget counts objects, not
 * only payload bytes: a relay holding many small events on many streams spends most of its
 * heap on per-object overhead, and a budget of payload alone let it fill the heap.
 *
 * <p>The figures are for HotSpot on 64 bits with compressed references (any heap under
 * 32 GiB): 12-byte object headers, 4-byte references, sizes rounded up to 8 bytes. They err
 * on the high side. The benchmark's {@code memory} scenario measures the heap per retained
 * event and per retained stream and compares it with these estimates (docs/benchmarks.md).
 */
public final class HeapCost {

    /** An {@link Event}: its 12 fields, with padding. */
    static final long EVENT = 72;
    /** A heap {@code ByteBuffer} object, without its array. */
    static final long BYTE_BUFFER = 56;
    /** A {@link Position} object, without its arrays and text. */
    static final long POSITION = 24;
    /**
     * An event's slots in the two queues that hold it (all events, and its stream's), counting
     * the spare capacity an {@code ArrayDeque} keeps after it doubles.
     */
    static final long QUEUE_SLOTS = 16;
    /**
     * A {@link StreamLog} with empty history and no subscribers: the log, its queue (17 slots
     * to start), subscriber set and eviction map, and its entry in the hub's map. Its name
     * comes on top.
     */
    static final long STREAM = 320;
    /** One origin's entry in an eviction map: the map node, the boxed sequence number, a table slot. */
    static final long ORIGIN_ENTRY = 64;
    /**
     * A tombstone: its entry in the ordered map of tombstones and its own eviction map with
     * a table of 16 slots. Its name and entries come on top.
     */
    static final long TOMBSTONE = 200;

    /**
     * A retired origin's record: its entry in an ordered map, the record, and the origin's
     * name and the witness's (up to 16 characters each).
     */
    static final long RETIRED_ORIGIN = 200;

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

    /** A {@code long[]} of {@code length} entries. */
    static long longArray(int length) {
        return align(16L + 8L * length);
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

    /** A stream's log, empty, with {@code name}. */
    static long stream(String name) {
        return STREAM + string(name);
    }

    /** A tombstone for {@code name} with {@code origins} entries. */
    static long tombstone(String name, int origins) {
        return TOMBSTONE + string(name) + ORIGIN_ENTRY * origins;
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }
}
