package io.sserelay.relay.stream;

import java.util.List;

/**
 * The events of one replicated publish, numbered together and committed or aborted together.
 *
 * @param tag           the publish's idempotency key and digest, or null without a key
 * @param acceptedNanos when the relay accepted the publish ({@link System#nanoTime()})
 */
public record HeldBatch(List<HeldEvent> events, IdempotencyTag tag, long acceptedNanos) {

    public long firstSeq() {
        return events.get(0).seq();
    }

    public long lastSeq() {
        return events.get(events.size() - 1).seq();
    }
}
