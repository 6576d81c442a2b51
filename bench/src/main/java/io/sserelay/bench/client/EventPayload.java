package io.sserelay.bench.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The data of a benchmark event: its sequence number in the run and the time ({@link #now()})
 * at which the publisher intended to send it, then padding to the requested size, e.g.
 * {@code "17 823749182734 xxxx…"}. Publisher and subscribers share one JVM, so the clock is
 * the same on both ends.
 */
public final class EventPayload {

    private static final long EPOCH = System.nanoTime();

    private EventPayload() {
    }

    /** Nanoseconds on this JVM's monotonic clock, never negative. */
    public static long now() {
        return System.nanoTime() - EPOCH;
    }

    public static byte[] encode(long seq, long intendedNanos, int size) {
        byte[] head = (seq + " " + intendedNanos + " ").getBytes(StandardCharsets.US_ASCII);
        if (head.length > size) {
            throw new IllegalArgumentException("an event of " + size + " bytes cannot hold " + head.length
                    + " bytes of sequence number and timestamp");
        }
        byte[] payload = Arrays.copyOf(head, size);
        Arrays.fill(payload, head.length, size, (byte) 'x');
        return payload;
    }

    /** The sequence number, or -1 when the data is not a benchmark payload. */
    public static long seq(byte[] data, int length) {
        return number(data, 0, length);
    }

    /** The intended send time, or -1 when the data is not a benchmark payload. */
    public static long intendedNanos(byte[] data, int length) {
        int space = 0;
        while (space < length && data[space] != ' ') {
            space++;
        }
        return space == length ? -1 : number(data, space + 1, length);
    }

    private static long number(byte[] data, int from, int length) {
        long value = 0;
        int i = from;
        int start = i;
        while (i < length && data[i] >= '0' && data[i] <= '9') {
            value = value * 10 + (data[i] - '0');
            i++;
        }
        if (i == start || i == length || data[i] != ' ') {
            return -1;
        }
        return value;
    }
}
