package io.sserelay.relay.replication;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code Idempotency-Key}s publishers sent, each with a digest of its request and, once the
 * publish was answered 202, that answer. A retry with the same key and the same request gets the
 * same answer and publishes nothing; the same key with another request is a conflict; a key
 * whose publish is still waiting for replication is in use. A publish that failed frees its key.
 *
 * <p>A key in use belongs to whoever claimed it ({@link Claim.Granted}): only that claim
 * completes or releases it, so a late failure of one publish never frees a key another holds.
 * A key in use is never forgotten either: forgetting it would let a retry publish while the
 * first publish may still commit. Keys in use are few, bounded by the publishes waiting for
 * replication, which the publish budget bounds.
 *
 * <p>Memory: answered records are remembered for {@code window} (the history's maximum age:
 * past it a retry could not be told apart from a new publish by the events either), and at most
 * {@code maxKeys} of them and {@code maxBytes} by estimate; beyond either bound the oldest
 * answered ones are forgotten first, which {@link #forgotten()} counts.
 *
 * <p>Threads: any; every method takes this object's monitor for a short, non-blocking step.
 */
public final class IdempotencyKeys {

    /** The longest key; it also fits the one-byte length of the peer protocol's KEY frame. */
    public static final int MAX_KEY_LENGTH = 255;

    /** The outcome of {@link #claim}. */
    public sealed interface Claim {

        /** The key is new and now in use by this claim: publish, then {@link #complete} or {@link #release} it. */
        final class Granted implements Claim {
            private final Record record;

            private Granted(Record record) {
                this.record = record;
            }
        }

        /** The same request was answered before: send {@code answer} again, publish nothing. */
        record Replay(String answer) implements Claim {
        }

        /** The key was used for a different request. */
        record Conflict() implements Claim {
        }

        /** The key's first publish is still waiting for replication. */
        record InProgress() implements Claim {
        }
    }

    private static final Claim CONFLICT = new Claim.Conflict();
    private static final Claim IN_PROGRESS = new Claim.InProgress();
    /** A map entry and its node, the record, the digest's array: everything but the two strings. */
    private static final long RECORD_BYTES = 64 + 32 + 16 + 32;

    private final long windowNanos;
    private final long maxBytes;
    private final int maxKeys;
    /** In the order the records were made or completed, so the oldest come first. */
    private final LinkedHashMap<String, Record> records = new LinkedHashMap<>();
    private long bytes;
    private long forgotten;

    public IdempotencyKeys(Duration window, long maxBytes, int maxKeys) {
        this.windowNanos = window.toNanos();
        this.maxBytes = maxBytes;
        this.maxKeys = maxKeys;
    }

    /** Null when {@code key} is a valid key, otherwise what is wrong with it, for a person. */
    public static String problem(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            return "the Idempotency-Key is " + key.length() + " characters long; use 1 to " + MAX_KEY_LENGTH;
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

    public static boolean isValidKey(String key) {
        return problem(key) == null;
    }

    public synchronized Claim claim(String key, byte[] digest, long nowNanos) {
        evictExpired(nowNanos);
        Record record = records.get(key);
        if (record == null) {
            Record inUse = new Record(digest, null, nowNanos);
            put(key, inUse);
            return new Claim.Granted(inUse);
        }
        if (!Arrays.equals(record.digest, digest)) {
            return CONFLICT;
        }
        return record.answer == null ? IN_PROGRESS : new Claim.Replay(record.answer);
    }

    /**
     * The publish that claimed {@code key} was answered 202 with {@code answer}. Only a claim
     * completes its key, and nothing else takes a key in use from it, so the record is the claim's.
     */
    public synchronized void complete(String key, Claim.Granted claim, String answer, long nowNanos) {
        if (records.get(key) == claim.record) {
            remove(key);
        }
        if (!records.containsKey(key)) {
            put(key, new Record(claim.record.digest, answer, nowNanos));
        }
    }

    /** The publish that claimed {@code key} failed: a retry may publish. Does nothing a second time. */
    public synchronized void release(String key, Claim.Granted claim) {
        if (records.get(key) == claim.record) {
            remove(key);
        }
    }

    /**
     * A peer committed a publish it was told this key of (its origin answered it, or may have):
     * remembered unless this relay already knows the key.
     */
    public synchronized void remember(String key, byte[] digest, String answer, long nowNanos) {
        if (!records.containsKey(key)) {
            put(key, new Record(digest, answer, nowNanos));
        }
    }

    public synchronized void evictExpired(long nowNanos) {
        Iterator<Map.Entry<String, Record>> oldest = records.entrySet().iterator();
        while (oldest.hasNext()) {
            Map.Entry<String, Record> entry = oldest.next();
            if (nowNanos - entry.getValue().sinceNanos <= windowNanos) {
                break;
            }
            if (entry.getValue().answer != null) {
                bytes -= cost(entry.getKey(), entry.getValue());
                oldest.remove();
            }
        }
    }

    public synchronized int size() {
        return records.size();
    }

    /** Heap the records hold, by estimate. */
    public synchronized long bytes() {
        return bytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Records forgotten before their window ended, to stay within the bounds. */
    public synchronized long forgotten() {
        return forgotten;
    }

    private void put(String key, Record record) {
        records.put(key, record);
        bytes += cost(key, record);
        Iterator<Map.Entry<String, Record>> oldest = records.entrySet().iterator();
        while ((bytes > maxBytes || records.size() > maxKeys) && oldest.hasNext()) {
            Map.Entry<String, Record> entry = oldest.next();
            if (entry.getValue() == record || entry.getValue().answer == null) {
                continue; // the newest, and keys in use, stay
            }
            bytes -= cost(entry.getKey(), entry.getValue());
            oldest.remove();
            forgotten++;
        }
    }

    private void remove(String key) {
        Record record = records.remove(key);
        if (record != null) {
            bytes -= cost(key, record);
        }
    }

    /** Compact (Latin-1) strings: a header, an array header and one byte a character. */
    private static long cost(String key, Record record) {
        return RECORD_BYTES + 40 + key.length() + (record.answer == null ? 0 : 40 + record.answer.length());
    }

    private record Record(byte[] digest, String answer, long sinceNanos) {
    }
}
