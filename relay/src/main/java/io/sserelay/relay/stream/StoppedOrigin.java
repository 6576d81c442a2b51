package io.sserelay.relay.stream;

/**
 * An origin a relay knows and no link of it follows any more: its relay stopped or left the peer
 * set, and the relay has not retired it. Peers that join later learn of it this way, although
 * they never followed it (see {@link StreamHub#adoptStopped}).
 *
 * @param origin    the origin
 * @param lastSeq   the highest of its sequence numbers the relay has applied
 * @param startedAt when its relay started, seconds since the epoch; 0 when unknown
 * @param silentForMillis how long the relay has heard nothing of it: a relay that learns of it
 *                  continues this clock rather than starting its own, or an origin passed from
 *                  relay to relay would never be retired
 */
public record StoppedOrigin(String origin, long lastSeq, long startedAt, long silentForMillis) {
}
