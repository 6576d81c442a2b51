package io.sserelay.relay.http;

import io.sserelay.api.relay.RelayLimits;

/**
 * Size limits on publishing.
 *
 * @param maxEventBytes  UTF-8 bytes of one event's data
 * @param maxBatchEvents events in one {@code POST /publish}
 * @param maxBatchBytes  bytes of one {@code POST /publish} body
 */
public record PublishLimits(int maxEventBytes, int maxBatchEvents, int maxBatchBytes) {

    /**
     * The most {@code maxEventBytes} may be configured to: so also the largest event a peer of
     * any configuration may send.
     */
    public static final int MAX_EVENT_BYTES = RelayLimits.MAX_MAX_EVENT_BYTES;

    /** A JSON body may escape its data, so it may be larger than the data it carries. */
    int maxSingleJsonBodyBytes() {
        return maxEventBytes * 2 + 4096;
    }
}
