package io.sserelay.relay.stream;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * A reader's place in the event log: for each origin (the relay process that accepted an
 * event), the highest sequence number the reader has seen. Every relay numbers the events it
 * accepts 1, 2, 3, ... under its own origin id, so a position means the same thing on every
 * relay, and any relay can replay exactly the events with {@code seq > position[origin]}.
 *
 * <p>Wire form (the SSE {@code id:} field and {@code Last-Event-ID}): entries
 * {@code origin-seq} sorted by origin and joined by {@code .}, the sequence number in base 36,
 * for example {@code k3f9a2x1-16} (sequence 42) or {@code k3f9a2x1-16.p8x1c0d2-7}. Origins are
 * 1-16 characters from {@code a-z 0-9}. The first form, {@code origin:seq} with a decimal
 * sequence number ({@code k3f9a2x1:42}), is still read, so ids given out by earlier versions
 * resume exactly.
 *
 * <p>A position may also carry a <em>horizon</em>, written as a last entry {@code ~} and a time
 * in base 36 ({@code k3f9a2x1-16.~rxk2a1}): the reader has seen every event of every origin
 * that started at or before that time (seconds since the epoch) and that the position does
 * not name. Relays write it once they retire origins of stopped relays from their ids (see
 * {@code Origins}), so an id need not name an origin whose events are gone everywhere, and
 * yet a reader that never saw an origin is told apart from one that saw all of it. Immutable.
 */
public final class Position {

    public static final int MAX_ORIGIN_LENGTH = 16;
    /**
     * The most origins an id may name. A relay's own ids name the relays of its peer set and at
     * most {@code StreamHub.MAX_STOPPED_ORIGINS} stopped ones, far below this.
     */
    public static final int MAX_ENTRIES = 256;
    public static final int MAX_TEXT_LENGTH = MAX_ENTRIES * (MAX_ORIGIN_LENGTH + 21);

    public static final Position EMPTY = new Position(new String[0], new long[0], 0);
    private static final char HORIZON = '~';

    private final String[] origins;
    private final long[] seqs;
    private final long horizon;
    private String text;

    private Position(String[] origins, long[] seqs, long horizon) {
        this.origins = origins;
        this.seqs = seqs;
        this.horizon = horizon;
    }

    public static Position of(String origin, long seq) {
        return EMPTY.with(origin, seq);
    }

    /** Parses the wire form; throws {@link InvalidPositionException} with a message a client can act on. */
    public static Position parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new InvalidPositionException("event id is empty");
        }
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new InvalidPositionException("event id is " + text.length() + " characters long; the limit is "
                    + MAX_TEXT_LENGTH);
        }
        TreeMap<String, Long> entries = new TreeMap<>();
        String[] parts = text.split("\\.", -1);
        long horizon = 0;
        for (int p = 0; p < parts.length; p++) {
            String entry = parts[p];
            if (!entry.isEmpty() && entry.charAt(0) == HORIZON) {
                if (p != parts.length - 1) {
                    throw invalid(text, "the horizon '" + entry + "' must be the last entry");
                }
                horizon = parseSeq36(text, entry.substring(1));
                continue;
            }
            int dash = entry.indexOf('-');
            int colon = entry.indexOf(':');
            int separator = dash < 0 ? colon : colon < 0 ? dash : Math.min(dash, colon);
            if (separator < 0) {
                throw invalid(text, "entry '" + entry + "' has no '-' between origin and sequence number");
            }
            String origin = entry.substring(0, separator);
            String seqText = entry.substring(separator + 1);
            if (!isValidOrigin(origin)) {
                throw invalid(text, "origin '" + origin + "' must be 1-" + MAX_ORIGIN_LENGTH + " characters from a-z 0-9");
            }
            long seq = separator == dash ? parseSeq36(text, seqText) : parseDecimalSeq(text, seqText);
            if (entries.put(origin, seq) != null) {
                throw invalid(text, "origin '" + origin + "' appears twice");
            }
        }
        if (entries.size() > MAX_ENTRIES) {
            throw invalid(text, "it has " + entries.size() + " origins; the limit is " + MAX_ENTRIES);
        }
        Position position = fromSorted(entries, horizon);
        position.text = text.equals(position.format()) ? text : null;
        return position;
    }

    public static boolean isValidOrigin(String origin) {
        if (origin.isEmpty() || origin.length() > MAX_ORIGIN_LENGTH) {
            return false;
        }
        for (int i = 0; i < origin.length(); i++) {
            char c = origin.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }

    /** The sequence number of the current form: base 36, {@code 0-9 a-z}. */
    private static long parseSeq36(String text, String seqText) {
        String expected = "sequence number '" + seqText + "' must be 1-13 characters from 0-9 a-z";
        if (seqText.isEmpty() || seqText.length() > 13) {
            throw invalid(text, expected);
        }
        for (int i = 0; i < seqText.length(); i++) {
            char c = seqText.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
                throw invalid(text, expected);
            }
        }
        try {
            return Long.parseLong(seqText, 36);
        } catch (NumberFormatException e) {
            throw invalid(text, "sequence number '" + seqText + "' is too large");
        }
    }

    /** The sequence number of the first form ({@code origin:seq}): decimal. */
    private static long parseDecimalSeq(String text, String seqText) {
        if (seqText.isEmpty() || seqText.length() > 19) {
            throw invalid(text, "sequence number '" + seqText + "' must be 1-19 decimal digits");
        }
        for (int i = 0; i < seqText.length(); i++) {
            char c = seqText.charAt(i);
            if (c < '0' || c > '9') {
                throw invalid(text, "sequence number '" + seqText + "' must be 1-19 decimal digits");
            }
        }
        try {
            return Long.parseLong(seqText);
        } catch (NumberFormatException e) {
            throw invalid(text, "sequence number '" + seqText + "' is too large");
        }
    }

    private static InvalidPositionException invalid(String text, String why) {
        String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        // Control characters are shown escaped: the message goes back to the client verbatim.
        return new InvalidPositionException(StreamName.printable("event id '" + shown + "' is invalid: " + why));
    }

    private static Position fromSorted(TreeMap<String, Long> entries, long horizon) {
        String[] origins = new String[entries.size()];
        long[] seqs = new long[entries.size()];
        int i = 0;
        for (Map.Entry<String, Long> e : entries.entrySet()) {
            origins[i] = e.getKey();
            seqs[i] = e.getValue();
            i++;
        }
        return new Position(origins, seqs, horizon);
    }

    /** The highest sequence number seen from {@code origin}, 0 when none. */
    public long seqOf(String origin) {
        int i = Arrays.binarySearch(origins, origin);
        return i >= 0 ? seqs[i] : 0;
    }

    /** True when an event {@code (origin, seq)} is at or before this position. */
    public boolean covers(String origin, long seq) {
        return seq <= seqOf(origin);
    }

    /** This position advanced to {@code seq} for {@code origin}; never moves an origin back. */
    public Position with(String origin, long seq) {
        int i = Arrays.binarySearch(origins, origin);
        if (i >= 0) {
            if (seqs[i] >= seq) {
                return this;
            }
            long[] newSeqs = seqs.clone();
            newSeqs[i] = seq;
            return new Position(origins, newSeqs, horizon);
        }
        int at = -i - 1;
        String[] newOrigins = new String[origins.length + 1];
        long[] newSeqs = new long[seqs.length + 1];
        System.arraycopy(origins, 0, newOrigins, 0, at);
        System.arraycopy(seqs, 0, newSeqs, 0, at);
        newOrigins[at] = origin;
        newSeqs[at] = seq;
        System.arraycopy(origins, at, newOrigins, at + 1, origins.length - at);
        System.arraycopy(seqs, at, newSeqs, at + 1, seqs.length - at);
        return new Position(newOrigins, newSeqs, horizon);
    }

    /** This position without {@code origin}'s entry. */
    public Position without(String origin) {
        int i = Arrays.binarySearch(origins, origin);
        if (i < 0) {
            return this;
        }
        String[] newOrigins = new String[origins.length - 1];
        long[] newSeqs = new long[seqs.length - 1];
        System.arraycopy(origins, 0, newOrigins, 0, i);
        System.arraycopy(seqs, 0, newSeqs, 0, i);
        System.arraycopy(origins, i + 1, newOrigins, i, origins.length - i - 1);
        System.arraycopy(seqs, i + 1, newSeqs, i, seqs.length - i - 1);
        return new Position(newOrigins, newSeqs, horizon);
    }

    /**
     * The time (seconds since the epoch) up to which this reader has seen every origin that
     * started then and that it does not name; 0 when it carries none.
     */
    public long horizon() {
        return horizon;
    }

    /** This position with its horizon raised to {@code seconds}; never lowers it. */
    public Position withHorizon(long seconds) {
        return seconds <= horizon ? this : new Position(origins, seqs, seconds);
    }

    /** True when this position has seen everything {@code other} has. */
    public boolean dominates(Position other) {
        if (horizon < other.horizon) {
            return false;
        }
        for (int i = 0; i < other.origins.length; i++) {
            if (seqOf(other.origins[i]) < other.seqs[i]) {
                return false;
            }
        }
        return true;
    }

    /** The pointwise maximum of both positions. */
    public Position merge(Position other) {
        Position merged = withHorizon(other.horizon);
        for (int i = 0; i < other.origins.length; i++) {
            merged = merged.with(other.origins[i], other.seqs[i]);
        }
        return merged;
    }

    /** The entries of this position that are ahead of {@code other}, or null when there are none. */
    public Position aheadOf(Position other) {
        Position ahead = horizon > other.horizon ? EMPTY.withHorizon(horizon) : EMPTY;
        for (int i = 0; i < origins.length; i++) {
            if (seqs[i] > other.seqOf(origins[i])) {
                ahead = ahead.with(origins[i], seqs[i]);
            }
        }
        return ahead.size() == 0 && ahead.horizon == 0 ? null : ahead;
    }

    public int size() {
        return origins.length;
    }

    public String origin(int index) {
        return origins[index];
    }

    public long seq(int index) {
        return seqs[index];
    }

    /** The wire form. */
    public String format() {
        String cached = text;
        if (cached == null) {
            StringBuilder out = new StringBuilder(origins.length * 16);
            for (int i = 0; i < origins.length; i++) {
                if (i > 0) {
                    out.append('.');
                }
                out.append(origins[i]).append('-').append(Long.toString(seqs[i], 36));
            }
            if (horizon > 0) {
                out.append(origins.length > 0 ? "." : "").append(HORIZON).append(Long.toString(horizon, 36));
            }
            cached = out.toString();
            text = cached;
        }
        return cached;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Position p && horizon == p.horizon && Arrays.equals(origins, p.origins)
                && Arrays.equals(seqs, p.seqs);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(origins) + Arrays.hashCode(seqs)) + Long.hashCode(horizon);
    }

    @Override
    public String toString() {
        return format();
    }
}
