package io.sserelay.relay.stream;

import java.time.Duration;

/**
 * How much history the relay keeps for resume. When a limit is reached the oldest retained
 * events go first, and a subscriber that needed them gets a reset when it resumes.
 *
 * @param maxEventsPerStream events kept per stream; 0 disables resume
 * @param maxAge             events older than this are dropped
 * @param maxBytes           heap for every copy of a stream the relay holds: events with their
 *                           per-object overhead, and each copy's own
 * @param maxStreams         streams the relay holds a copy of as owner or replica
 * @param maxTombstones      read for the configurations that set it ({@code RELAY_HISTORY_MAX_TOMBSTONES});
 *                           nothing uses it since a forgotten stream starts a new line of ids
 */
public record HistoryLimits(int maxEventsPerStream, Duration maxAge, long maxBytes, int maxStreams,
        int maxTombstones) {

    public static final int DEFAULT_MAX_STREAMS = 1_000_000;
    public static final int DEFAULT_MAX_TOMBSTONES = 65_536;

    /** Limits with the default bounds on streams and tombstones. */
    public HistoryLimits(int maxEventsPerStream, Duration maxAge, long maxBytes) {
        this(maxEventsPerStream, maxAge, maxBytes, DEFAULT_MAX_STREAMS, DEFAULT_MAX_TOMBSTONES);
    }
}
