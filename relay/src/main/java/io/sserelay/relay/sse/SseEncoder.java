package io.sserelay.relay.sse;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.sserelay.relay.stream.ResetReason;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Encodes Server-Sent Events frames (WHATWG HTML, "Server-sent events", section 9.2) into
 * read-only buffers positioned at 0, ready to be shared by every connection that sends them.
 *
 * <p>Data is split into one {@code data:} line per line of the payload; LF, CR and CRLF all
 * end a line, as the parser on the other side treats all three as line ends.
 */
public final class SseEncoder {

    private static final byte[] ID = "id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

    /** The type of the relay's own notice that a subscriber missed events; publishers may not use it. */
    public static final String RESET_TYPE = "reset";

    private SseEncoder() {
    }

    /**
     * The notice that the subscriber cannot get everything after its id: {@code reason}
     * says why (its code is the event's {@code reason}), {@code message} says it in words, and
     * {@code id} (or null) is where the subscriber continues from, so that its next reconnect
     * starts there.
     */
    public static ByteBuffer reset(List<String> streams, ResetReason reason, String message, String id) {
        // Stream names are [A-Za-z0-9._:-], so they need no JSON escaping; a message may echo
        // what a client sent and is escaped.
        StringBuilder json = new StringBuilder("{\"streams\":[");
        for (int i = 0; i < streams.size(); i++) {
            json.append(i == 0 ? "\"" : ",\"").append(streams.get(i)).append('"');
        }
        json.append("],\"reason\":\"").append(reason.code()).append("\",\"message\":\"");
        JsonStringEncoder.getInstance().quoteAsString(message, json);
        json.append("\"}");
        return event(id, RESET_TYPE, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** An event frame. {@code type} may be null (the client sees a {@code message} event). */
    public static ByteBuffer event(String id, String type, byte[] utf8Data) {
        int lines = 1;
        for (int i = 0; i < utf8Data.length; i++) {
            byte b = utf8Data[i];
            if (b == '\n' || (b == '\r' && !(i + 1 < utf8Data.length && utf8Data[i + 1] == '\n'))) {
                lines++;
            }
        }
        byte[] idBytes = id == null ? null : id.getBytes(StandardCharsets.US_ASCII);
        byte[] typeBytes = type == null ? null : type.getBytes(StandardCharsets.UTF_8);
        // An upper bound: line-break bytes of the payload are counted although they are
        // replaced by the LF that ends each data line.
        int size = lines * (DATA.length + 1) + utf8Data.length + 1;
        if (idBytes != null) {
            size += ID.length + idBytes.length + 1;
        }
        if (typeBytes != null) {
            size += EVENT.length + typeBytes.length + 1;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        if (idBytes != null) {
            out.put(ID).put(idBytes).put((byte) '\n');
        }
        if (typeBytes != null) {
            out.put(EVENT).put(typeBytes).put((byte) '\n');
        }
        out.put(DATA);
        for (int i = 0; i < utf8Data.length; i++) {
            byte b = utf8Data[i];
            if (b == '\r') {
                if (i + 1 < utf8Data.length && utf8Data[i + 1] == '\n') {
                    i++;
                }
                out.put((byte) '\n').put(DATA);
            } else if (b == '\n') {
                out.put((byte) '\n').put(DATA);
            } else {
                out.put(b);
            }
        }
        out.put((byte) '\n').put((byte) '\n');
        return finish(out);
    }

    /** A frame that only moves the client's last event id, without dispatching an event. */
    public static ByteBuffer id(String id) {
        return ascii("id: " + id + "\n\n");
    }

    /** A frame that sets the client's reconnection delay. */
    public static ByteBuffer retry(long millis) {
        return ascii("retry: " + millis + "\n\n");
    }

    /** A comment frame; clients ignore it, proxies see traffic. {@code text} must be one line. */
    public static ByteBuffer comment(String text) {
        return ascii(":" + (text.isEmpty() ? "" : " " + text) + "\n\n");
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();
    }

    private static ByteBuffer finish(ByteBuffer written) {
        written.flip();
        return written.slice().asReadOnlyBuffer();
    }
}
