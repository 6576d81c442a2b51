package io.sserelay.relay.sse;

import java.time.Duration;

/**
 * How subscriber connections behave.
 *
 * @param retry              reconnection delay sent to clients first thing
 * @param heartbeat          idle time after which a comment is sent
 * @param writeTimeout       a connection whose socket takes no bytes for this long is closed
 * @param bufferBytes        unsent bytes a connection may hold before it is closed as slow
 * @param queuesMaxBytes     unsent bytes all connections may hold together; past it those
 *                           holding more than their share are closed as slow
 * @param shutdownRetry      base reconnection delay sent at shutdown; each client gets it plus
 *                           a random share of it, so that they do not return all at once
 */
public record SseSettings(Duration retry, Duration heartbeat, Duration writeTimeout, long bufferBytes,
        Duration shutdownRetry, long queuesMaxBytes) {
}
