package io.sserelay.bench.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * Decodes one HTTP/1.1 response carrying an event stream, as its bytes arrive in pieces of
 * any size: the status line and headers, the chunked transfer coding, and the event-stream
 * fields (WHATWG HTML, "Server-sent events", section 9.2.6, interpreting an event stream).
 *
 * <p>Built for a load generator holding thousands of connections: nothing is allocated per
 * event, the current line and event live in buffers reused across events, and a listener sees
 * each dispatched event through this object's accessors.
 *
 * <p>Not thread-safe: each connection has its own, used only by the thread reading it.
 */
public final class SseResponseDecoder {

    /** Told what the response carries; called on the thread that calls {@link #feed}. */
    public interface Listener {

        /** The status line and headers were read. */
        void onHeaders(int status);

        /** An event with data was dispatched; read it through the decoder's accessors. */
        void onEvent(SseResponseDecoder event);

        /** The response ended (its last chunk arrived). */
        void onEnd();
    }

    /** A response that is not HTTP, not chunked when it should be, or whose lines are too long. */
    public static final class MalformedResponseException extends Exception {
        MalformedResponseException(String message) {
            super(message);
        }
    }

    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final int MAX_LINE_BYTES = 4 * 1024 * 1024;
    private static final byte[] DATA = ascii("data");
    private static final byte[] EVENT = ascii("event");
    private static final byte[] ID = ascii("id");

    private enum State { HEADERS, CHUNK_SIZE, CHUNK_SIZE_LINE_END, CHUNK_DATA, CHUNK_DATA_END, IDENTITY, ENDED }

    private final Listener listener;
    private State state = State.HEADERS;

    private byte[] headers = new byte[512];
    private int headersLength;
    private long chunkRemaining;
    private boolean chunkSizeSeen;
    private int status;

    private byte[] line = new byte[256];
    private int lineLength;
    private boolean skipLineFeed;

    private byte[] data = new byte[256];
    private int dataLength;
    private boolean hasData;
    private byte[] type = new byte[32];
    private int typeLength;
    private byte[] lastId = new byte[64];
    private int lastIdLength;
    private boolean hasLastId;

    public SseResponseDecoder(Listener listener) {
        this.listener = listener;
    }

    /** Decodes {@code length} more bytes of the response. */
    public void feed(byte[] bytes, int offset, int length) throws MalformedResponseException {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            switch (state) {
                case HEADERS -> i = readHeaders(bytes, i, end);
                case CHUNK_SIZE -> i = readChunkSize(bytes, i, end);
                case CHUNK_SIZE_LINE_END -> i = skipPastLineFeed(bytes, i, end, State.CHUNK_DATA);
                case CHUNK_DATA -> {
                    int n = (int) Math.min(chunkRemaining, end - i);
                    decodeEventStream(bytes, i, n);
                    i += n;
                    chunkRemaining -= n;
                    if (chunkRemaining == 0) {
                        state = State.CHUNK_DATA_END;
                    }
                }
                case CHUNK_DATA_END -> i = skipPastLineFeed(bytes, i, end, State.CHUNK_SIZE);
                case IDENTITY -> {
                    decodeEventStream(bytes, i, end - i);
                    i = end;
                }
                case ENDED -> i = end; // the last chunk's trailers and line end
            }
        }
    }

    /** The status code, once the headers were read. */
    public int status() {
        return status;
    }

    /** The data of the event being dispatched, lines joined by LF. */
    public byte[] data() {
        return data;
    }

    public int dataLength() {
        return dataLength;
    }

    /** Whether the event being dispatched has the given type ({@code message} when it has none). */
    public boolean typeIs(String expected) {
        if (typeLength == 0) {
            return expected.equals("message");
        }
        byte[] wanted = ascii(expected);
        return Arrays.equals(type, 0, typeLength, wanted, 0, wanted.length);
    }

    /** The last event id received, as a browser would send it back when reconnecting; null if none. */
    public String lastEventId() {
        return hasLastId ? new String(lastId, 0, lastIdLength, StandardCharsets.UTF_8) : null;
    }

    private int readHeaders(byte[] bytes, int i, int end) throws MalformedResponseException {
        while (i < end) {
            if (headersLength == MAX_HEADER_BYTES) {
                throw new MalformedResponseException("response headers longer than " + MAX_HEADER_BYTES + " bytes");
            }
            if (headersLength == headers.length) {
                headers = Arrays.copyOf(headers, headers.length * 2);
            }
            headers[headersLength++] = bytes[i++];
            if (headersLength >= 4 && headers[headersLength - 1] == '\n' && headers[headersLength - 2] == '\r'
                    && headers[headersLength - 3] == '\n' && headers[headersLength - 4] == '\r') {
                startBody();
                return i;
            }
        }
        return i;
    }

    private void startBody() throws MalformedResponseException {
        String head = new String(headers, 0, headersLength, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new MalformedResponseException("not an HTTP/1.x status line: " + lines[0]);
        }
        try {
            status = Integer.parseInt(statusLine[1]);
        } catch (NumberFormatException e) {
            throw new MalformedResponseException("bad status code in: " + lines[0]);
        }
        boolean chunked = false;
        for (int n = 1; n < lines.length; n++) {
            String header = lines[n].toLowerCase(Locale.ROOT);
            if (header.startsWith("transfer-encoding:") && header.contains("chunked")) {
                chunked = true;
            }
        }
        headers = null;
        state = chunked ? State.CHUNK_SIZE : State.IDENTITY;
        listener.onHeaders(status);
    }

    private int readChunkSize(byte[] bytes, int i, int end) throws MalformedResponseException {
        while (i < end) {
            byte b = bytes[i++];
            int digit = Character.digit(b, 16);
            if (digit >= 0) {
                if (chunkRemaining > (Integer.MAX_VALUE >> 4)) {
                    throw new MalformedResponseException("chunk size too large");
                }
                chunkRemaining = (chunkRemaining << 4) | digit;
                chunkSizeSeen = true;
                continue;
            }
            if (!chunkSizeSeen) {
                throw new MalformedResponseException("a chunk size line without a size");
            }
            if (b == '\n') {
                return chunkSizeRead(i);
            }
            // CR or a chunk extension: the size ends here, the line ends at the next LF.
            state = State.CHUNK_SIZE_LINE_END;
            return i;
        }
        return i;
    }

    private int skipPastLineFeed(byte[] bytes, int i, int end, State next) {
        while (i < end) {
            if (bytes[i++] == '\n') {
                if (next == State.CHUNK_DATA) {
                    return chunkSizeRead(i);
                }
                state = next;
                return i;
            }
        }
        return i;
    }

    private int chunkSizeRead(int i) {
        chunkSizeSeen = false;
        if (chunkRemaining == 0) {
            state = State.ENDED;
            listener.onEnd();
        } else {
            state = State.CHUNK_DATA;
        }
        return i;
    }

    /** Splits the event stream into lines (CRLF, LF or CR) and interprets each. */
    private void decodeEventStream(byte[] bytes, int offset, int length) throws MalformedResponseException {
        int i = offset;
        int end = offset + length;
        while (i < end) {
            if (skipLineFeed) {
                skipLineFeed = false;
                if (bytes[i] == '\n') {
                    i++;
                    continue;
                }
            }
            int lineEnd = i;
            while (lineEnd < end && bytes[lineEnd] != '\n' && bytes[lineEnd] != '\r') {
                lineEnd++;
            }
            appendToLine(bytes, i, lineEnd - i);
            if (lineEnd == end) {
                return;
            }
            skipLineFeed = bytes[lineEnd] == '\r';
            i = lineEnd + 1;
            interpretLine();
            lineLength = 0;
        }
    }

    private void appendToLine(byte[] bytes, int offset, int length) throws MalformedResponseException {
        if (length == 0) {
            return;
        }
        int needed = lineLength + length;
        if (needed > MAX_LINE_BYTES) {
            throw new MalformedResponseException("an event-stream line longer than " + MAX_LINE_BYTES + " bytes");
        }
        if (needed > line.length) {
            line = Arrays.copyOf(line, Math.max(needed, line.length * 2));
        }
        System.arraycopy(bytes, offset, line, lineLength, length);
        lineLength = needed;
    }

    private void interpretLine() throws MalformedResponseException {
        if (lineLength == 0) {
            dispatch();
            return;
        }
        if (line[0] == ':') {
            return; // a comment: heartbeats and notices
        }
        int colon = 0;
        while (colon < lineLength && line[colon] != ':') {
            colon++;
        }
        int valueStart = colon == lineLength ? lineLength : colon + 1;
        if (valueStart < lineLength && line[valueStart] == ' ') {
            valueStart++;
        }
        int valueLength = lineLength - valueStart;
        if (fieldIs(DATA, colon)) {
            if (dataLength + valueLength + 1 > MAX_LINE_BYTES) {
                throw new MalformedResponseException("event data longer than " + MAX_LINE_BYTES + " bytes");
            }
            data = ensure(data, dataLength + valueLength + 1);
            System.arraycopy(line, valueStart, data, dataLength, valueLength);
            dataLength += valueLength;
            data[dataLength++] = '\n';
            hasData = true;
        } else if (fieldIs(EVENT, colon)) {
            type = ensure(type, valueLength);
            System.arraycopy(line, valueStart, type, 0, valueLength);
            typeLength = valueLength;
        } else if (fieldIs(ID, colon)) {
            for (int n = valueStart; n < lineLength; n++) {
                if (line[n] == 0) {
                    return; // the specification ignores ids containing NUL
                }
            }
            lastId = ensure(lastId, valueLength);
            System.arraycopy(line, valueStart, lastId, 0, valueLength);
            lastIdLength = valueLength;
            hasLastId = true;
        }
        // retry and unknown fields change nothing a load generator measures
    }

    private void dispatch() {
        if (hasData) {
            dataLength--; // the specification drops the last line feed
            listener.onEvent(this);
        }
        hasData = false;
        dataLength = 0;
        typeLength = 0;
    }

    private boolean fieldIs(byte[] name, int nameLength) {
        return nameLength == name.length && Arrays.equals(line, 0, nameLength, name, 0, nameLength);
    }

    private static byte[] ensure(byte[] buffer, int size) {
        return size <= buffer.length ? buffer : Arrays.copyOf(buffer, Math.max(size, buffer.length * 2));
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
