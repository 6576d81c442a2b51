package io.sserelay.relay.peer;

import java.time.Duration;

/**
 * How this relay talks to its peers.
 *
 * @param token         the shared secret every relay of a cluster presents on the peer port
 * @param readTimeout   a peer stream silent this long (no event, no heartbeat) is dropped and
 *                      reconnected; a few heartbeat intervals
 * @param maxEventBytes the largest event data accepted from a peer
 * @param heldMaxBytes  the most a peer's pending (replicated, not yet committed) events may hold
 *                      here; a peer's own publish budget keeps them far below, so more is an error
 */
public record PeerSettings(String token, Duration readTimeout, int maxEventBytes, long heldMaxBytes) {
}
