package io.sserelay.relay.stream;

import io.sserelay.relay.cluster.MessageCodec.MalformedFrameException;
import io.sserelay.relay.cluster.MessageCodec.PayloadCodec;
import io.sserelay.relay.cluster.MessageCodec.Reader;
import io.sserelay.relay.cluster.MessageCodec.Writer;

/**
 * The wire form of a {@link Published} between relays: its type (or none), its data and its
 * publish time. A peer's event is checked as a publisher's is: data within the event limit, a
 * type without line breaks.
 */
public final class PublishedCodec implements PayloadCodec<Published> {

    private final int maxEventBytes;

    public PublishedCodec(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    @Override
    public void write(Published payload, Writer out) {
        out.optionalString(payload.type());
        out.bytes(payload.data());
        out.i64(payload.publishedAtMillis());
    }

    @Override
    public Published read(Reader in) {
        String type = in.optionalString();
        if (type != null && (type.isEmpty() || type.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0))) {
            throw new MalformedFrameException("an event type must be non-empty and without CR, LF or NUL");
        }
        byte[] data = in.bytes();
        if (data.length > maxEventBytes) {
            throw new MalformedFrameException("an event of " + data.length + " bytes; the limit is " + maxEventBytes);
        }
        return new Published(type, data, in.i64());
    }
}
