package io.sserelay.relay.stream;

/**
 * What identifies a publish for its retries: the publisher's {@code Idempotency-Key} and a digest
 * of the request it named (endpoint, streams, types, data). It travels with the publish's events
 * to the peers that hold them, so a retry sent to a peer after the accepting relay died is
 * recognised there too.
 *
 * @param single whether the publish was to {@code /streams/{stream}} (answered with one id) rather
 *               than a batch to {@code /publish}
 */
public record IdempotencyTag(String key, byte[] digest, boolean single) {
}
