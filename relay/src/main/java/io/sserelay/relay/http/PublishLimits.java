package io.sserelay.relay.http;

/**
 * Size limits on publishing.
 *
 * @param maxEventBytes  UTF-8 bytes of one event's data
 * @param maxBatchEvents events in one {@code POST /publish}
 * @param maxBatchBytes  bytes of one {@code POST /publish} body
 */
public record PublishLimits(int maxEventBytes, int maxBatchEvents, int maxBatchBytes) {

    /** A JSON body may escape its data, so it may be larger than the data it carries. */
    int maxSingleJsonBodyBytes() {
        return maxEventBytes * 2 + 4096;
    }
}
