package io.sserelay.relay.cluster;

/**
 * An event's place in its stream: the epoch in which it was numbered and its offset. Offsets
 * grow along a stream's whole life, across epochs; an epoch starts each time a relay takes
 * over numbering a stream, so an id names one event even where a lost copy made two relays
 * use one offset. Text form: epoch and offset in base 36, joined by {@code -}, at most 24
 * characters ({@link #MAX_TEXT_LENGTH}) however many relays there are or have been.
 *
 * <p>An epoch's high bits are the view generation in which it started, so of two epochs the one
 * from the newer view sorts later; its low {@value #EPOCH_RANDOM_BITS} bits are random, to tell
 * apart the epochs of a relay that restarted within one generation.
 */
public record EventId(long epoch, long offset) implements Comparable<EventId> {

    public static final int EPOCH_RANDOM_BITS = 20;
    public static final long MAX_GENERATION = (1L << (62 - EPOCH_RANDOM_BITS)) - 1;
    /** Room for offsets that start at the wall clock in microseconds ({@link #lineStart}) until the 23rd century. */
    public static final long MAX_OFFSET = (1L << 53) - 1;
    public static final int MAX_TEXT_LENGTH = 24;
    /**
     * The text of the place before a stream's first event, which a subscriber of a stream without
     * events is given as its id, so that its reconnect gets the stream from the start.
     */
    public static final String START = "0";

    public EventId {
        if (epoch < 1 || offset < 0 || offset > MAX_OFFSET) {
            throw new IllegalArgumentException("not an event id: epoch " + epoch + ", offset " + offset);
        }
    }

    /** A new epoch for a relay that starts numbering a stream in view {@code generation}. */
    public static long newEpoch(long generation, long random) {
        if (generation < 1 || generation > MAX_GENERATION) {
            throw new IllegalArgumentException("generation out of range: " + generation);
        }
        return generation << EPOCH_RANDOM_BITS | (random & ((1L << EPOCH_RANDOM_BITS) - 1));
    }

    /**
     * The first offset of a line that continues no copy (a stream new to the cluster, or one whose
     * every copy was lost or forgotten): the wall clock in microseconds. A line grows by one
     * offset per event, far slower than the clock, so the new line's offsets lie beyond those of
     * every earlier line of the stream, and a reader from one of those gets a reset and then
     * every event of the new line (see {@link StreamLog#committedAfterDivergence}), not a skip.
     */
    public static long lineStart(long wallClockMicros) {
        return Math.max(1, Math.min(wallClockMicros, MAX_OFFSET / 2));
    }

    public static long generationOf(long epoch) {
        return epoch >>> EPOCH_RANDOM_BITS;
    }

    /**
     * Whether this id is at or before {@code place} on one line of a stream: along a line, offsets
     * and the epochs' generations both grow, whichever owners numbered it.
     */
    public boolean atOrBefore(EventId place) {
        return offset <= place.offset && generationOf(epoch) <= generationOf(place.epoch);
    }

    /** Parses the text form; null for anything else (a caller answers that with a reset). */
    public static EventId parse(String text) {
        if (text == null || text.length() > MAX_TEXT_LENGTH) {
            return null;
        }
        int dash = text.indexOf('-');
        if (dash < 1 || dash == text.length() - 1) {
            return null;
        }
        long epoch = base36(text, 0, dash);
        long offset = base36(text, dash + 1, text.length());
        if (epoch < 1 || offset < 0 || offset > MAX_OFFSET) {
            return null;
        }
        return new EventId(epoch, offset);
    }

    private static long base36(String text, int from, int to) {
        if (to - from > 12) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            int digit = Character.digit(text.charAt(i), 36);
            if (digit < 0 || Character.isUpperCase(text.charAt(i))) {
                return -1;
            }
            value = value * 36 + digit;
        }
        return value;
    }

    /** Orders by offset, then epoch: the order of one stream's events along one line of copies. */
    @Override
    public int compareTo(EventId other) {
        int byOffset = Long.compare(offset, other.offset);
        return byOffset != 0 ? byOffset : Long.compare(epoch, other.epoch);
    }

    @Override
    public String toString() {
        return Long.toString(epoch, 36) + "-" + Long.toString(offset, 36);
    }
}
