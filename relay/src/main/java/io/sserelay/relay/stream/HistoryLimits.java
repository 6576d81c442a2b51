package io.sserelay.relay.stream;

import io.sserelay.api.relay.RelayDefaults;

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

    /** Limits with the default bounds on streams and tombstones. */
    public HistoryLimits(int maxEventsPerStream, Duration maxAge, long maxBytes) {
        this(maxEventsPerStream, maxAge, maxBytes, RelayDefaults.HISTORY_MAX_STREAMS, RelayDefaults.HISTORY_MAX_TOMBSTONES);
    }
}
