package io.sserelay.relay.stream;

/**
 * Makes what connections write for an event, once, as the hub accepts it: every connection
 * that sends the event then writes a duplicate of the same bytes, so fan-out never encodes.
 * The hub knows nothing of the wire format; the {@code sse} package supplies the encoder.
 */
@FunctionalInterface
public interface EventEncoder {

    /**
     * The encoded form of an event of {@code stream}, with {@code type} (null for the default)
     * and {@code data}, whose id is {@code id}.
     */
    Encoded encode(String stream, String type, byte[] data, Position id);

    /** An event's encoded form, kept with it while it is retained. */
    interface Encoded {

        /** Heap held by the encoded form, counted in the history's budget; the same on every call. */
        long heapBytes();
    }
}
