package io.sserelay.relay.stream;

import java.time.Duration;

/**
 * How much history the relay keeps for resume. When a limit is reached the oldest retained
 * events go first, and a subscriber that needed them gets a reset when it resumes.
 *
 * @param maxEventsPerStream events kept per stream; 0 disables resume
 * @param maxAge             events older than this are dropped
 * @param maxBytes           heap for the whole history: events with their per-object overhead,
 *                           the logs of the streams that hold them, and tombstones
 * @param maxStreams         streams that hold events
 * @param maxTombstones      streams dropped while idle whose losses are remembered one by one;
 *                           beyond this the oldest are folded into one record for all streams,
 *                           which makes a resume on any stream cautious (a reset) rather than wrong
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
