package io.sserelay.relay.stream;

import java.time.Duration;

/**
 * How much history the relay keeps for resume.
 *
 * @param maxEventsPerStream events kept per stream; 0 disables resume
 * @param maxAge             events older than this are dropped
 * @param maxBytes           heap for all streams together; the oldest events go first
 */
public record HistoryLimits(int maxEventsPerStream, Duration maxAge, long maxBytes) {
}
