package io.sserelay.relay.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * The streams a token names: exact stream names, prefixes written with a trailing {@code *}
 * ({@code orders.*} is every stream whose name starts with {@code orders.}), or {@code *} for
 * every stream. Names of other forms never match a stream, so a token written for another
 * system (a Mercure topic URL, say) grants nothing rather than something unintended.
 */
public final class StreamPatterns {

    /** Every stream. */
    public static final StreamPatterns ALL = new StreamPatterns(List.of(), List.of(""));
    /** No stream. */
    public static final StreamPatterns NONE = new StreamPatterns(List.of(), List.of());

    private final List<String> exact;
    private final List<String> prefixes;

    private StreamPatterns(List<String> exact, List<String> prefixes) {
        this.exact = exact;
        this.prefixes = prefixes;
    }

    /** The patterns of a token's claim; null entries are skipped. */
    public static StreamPatterns of(List<String> patterns) {
        List<String> exact = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        for (String pattern : patterns) {
            if (pattern == null || pattern.isEmpty()) {
                continue;
            }
            if (pattern.endsWith("*")) {
                prefixes.add(pattern.substring(0, pattern.length() - 1));
            } else {
                exact.add(pattern);
            }
        }
        return exact.isEmpty() && prefixes.isEmpty() ? NONE : new StreamPatterns(List.copyOf(exact), List.copyOf(prefixes));
    }

    /** The union of both. */
    public StreamPatterns or(StreamPatterns other) {
        if (other == NONE || this == ALL) {
            return this;
        }
        if (this == NONE || other == ALL) {
            return other;
        }
        List<String> exactBoth = new ArrayList<>(exact);
        exactBoth.addAll(other.exact);
        List<String> prefixesBoth = new ArrayList<>(prefixes);
        prefixesBoth.addAll(other.prefixes);
        return new StreamPatterns(List.copyOf(exactBoth), List.copyOf(prefixesBoth));
    }

    public boolean matches(String stream) {
        for (String name : exact) {
            if (name.equals(stream)) {
                return true;
            }
        }
        for (String prefix : prefixes) {
            if (stream.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        List<String> all = new ArrayList<>(exact);
        prefixes.forEach(p -> all.add(p + "*"));
        return all.toString();
    }
}
