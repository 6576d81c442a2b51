package io.sserelay.relay.stream;

import java.util.List;
import java.util.Map;

/**
 * What a peer that follows this relay's origin missed.
 *
 * @param origin         this relay's origin id
 * @param lastSeq        the last sequence number this relay has accepted
 * @param evictedStreams per stream, the highest of this origin's sequence numbers that is no
 *                       longer retained, where that is after the peer's position
 * @param evictedAnyStream the same for streams this relay has forgotten, which may be any
 *                       stream; 0 when none is after the peer's position
 * @param replay         this origin's retained events after the peer's position, in order
 * @param held           replicated publishes not yet committed, in order, for a follower that
 *                       holds pending events; empty for others
 * @param startedAt      when this relay started, seconds since the epoch
 * @param stopped        the other origins this relay knows that no link of it follows
 */
public record OriginCatchUp(String origin, long lastSeq, Map<String, Long> evictedStreams, long evictedAnyStream,
        List<Event> replay, List<HeldBatch> held, long startedAt, List<StoppedOrigin> stopped) {
}
