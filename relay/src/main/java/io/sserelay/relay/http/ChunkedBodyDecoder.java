package io.sserelay.relay.http;

import java.nio.ByteBuffer;

/**
 * The chunked transfer coding of a request body (RFC 9112, section 7.1), decoded as its bytes
 * arrive, in whatever pieces: framing in, data out. Written here rather than taken from Undertow
 * because Undertow's decoder closes the connection on a malformed chunk instead of reporting it
 * ({@link ChunkedRequestConduit}).
 *
 * <p>Strict where leniency could make the relay and a proxy in front of it disagree on where a
 * body ends: every line ends in CRLF and a size is hexadecimal digits only. Chunk extensions and
 * trailer fields are bounded in size and otherwise ignored: the relay has no use for them.
 *
 * <p>Not thread-safe: one body, read by one thread at a time.
 */
final class ChunkedBodyDecoder {

    /** A chunk size line, extensions included. */
    static final int MAX_SIZE_LINE_BYTES = 1024;
    /** All trailer lines, each with its CRLF. */
    static final int MAX_TRAILER_BYTES = 8192;
    private static final String SIZE_LINE_TOO_LONG =
            "a chunk size line is longer than " + MAX_SIZE_LINE_BYTES + " bytes (with its extensions)";
    private static final String TRAILERS_TOO_LONG = "the trailer section is longer than " + MAX_TRAILER_BYTES + " bytes";
    private static final int QUOTED_CHARS = 40;

    private enum State { SIZE_LINE, DATA, DATA_CR, DATA_LF, TRAILERS, DONE }

    private State state = State.SIZE_LINE;
    private final StringBuilder line = new StringBuilder();
    private boolean lineHasCr;
    private long chunkRemaining;
    private int trailerBytes;

    /**
     * Decodes from {@code in} into {@code out} until {@code in} is used up, {@code out} is full
     * or the body ends; what is left in {@code in} is not the body's. Returns whether the body ended.
     */
    boolean decode(ByteBuffer in, ByteBuffer out) throws MalformedChunkException {
        while (state != State.DONE && in.hasRemaining()) {
            switch (state) {
                case SIZE_LINE -> {
                    if (readLine(in, MAX_SIZE_LINE_BYTES, "a chunk size line", SIZE_LINE_TOO_LONG)) {
                        sizeLineRead();
                    }
                }
                case DATA -> {
                    if (!out.hasRemaining()) {
                        return false;
                    }
                    int n = (int) Math.min(chunkRemaining, Math.min(in.remaining(), out.remaining()));
                    int limit = in.limit();
                    in.limit(in.position() + n);
                    out.put(in);
                    in.limit(limit);
                    chunkRemaining -= n;
                    if (chunkRemaining == 0) {
                        state = State.DATA_CR;
                    }
                }
                case DATA_CR -> {
                    expectAfterData(in.get(), '\r');
                    state = State.DATA_LF;
                }
                case DATA_LF -> {
                    expectAfterData(in.get(), '\n');
                    state = State.SIZE_LINE;
                }
                case TRAILERS -> {
                    if (readLine(in, MAX_TRAILER_BYTES - trailerBytes - 2, "a trailer line", TRAILERS_TOO_LONG)) {
                        trailerLineRead();
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        return state == State.DONE;
    }

    boolean isDone() {
        return state == State.DONE;
    }

    /** Collects a line's bytes; true once its CRLF has been read, with {@code line} holding the rest. */
    private boolean readLine(ByteBuffer in, int maxBytes, String what, String tooLong) throws MalformedChunkException {
        while (in.hasRemaining()) {
            byte b = in.get();
            if (lineHasCr) {
                if (b != '\n') {
                    throw new MalformedChunkException(what + " has a CR that is not followed by LF");
                }
                lineHasCr = false;
                return true;
            }
            if (b == '\r') {
                lineHasCr = true;
            } else if (b == '\n') {
                throw new MalformedChunkException(what + " ends in a bare LF; the lines of a chunked body end in CRLF");
            } else if (line.length() >= maxBytes) {
                throw new MalformedChunkException(tooLong);
            } else {
                line.append((char) (b & 0xFF));
            }
        }
        return false;
    }

    private void sizeLineRead() throws MalformedChunkException {
        String text = takeLine();
        if (text.isEmpty()) {
            throw new MalformedChunkException("a chunk size line is empty: a chunk starts with its size in hexadecimal");
        }
        int semicolon = text.indexOf(';');
        String size = stripWhitespace(semicolon < 0 ? text : text.substring(0, semicolon));
        if (size.isEmpty() || !size.chars().allMatch(c -> hexValue(c) >= 0)) {
            throw new MalformedChunkException("the chunk size line '" + quote(text) + "' is not hexadecimal");
        }
        long value = 0;
        for (int i = 0; i < size.length(); i++) {
            if (value > Long.MAX_VALUE >>> 4) {
                throw new MalformedChunkException("the chunk size '" + quote(size) + "' is too large");
            }
            value = value << 4 | hexValue(size.charAt(i));
        }
        chunkRemaining = value;
        state = value == 0 ? State.TRAILERS : State.DATA;
    }

    private void trailerLineRead() throws MalformedChunkException {
        String text = takeLine();
        if (text.isEmpty()) {
            state = State.DONE;
            return;
        }
        if (text.indexOf(':') < 0) {
            throw new MalformedChunkException("the trailer line '" + quote(text) + "' has no colon");
        }
        trailerBytes += text.length() + 2;
    }

    private static void expectAfterData(byte b, char expected) throws MalformedChunkException {
        if (b != expected) {
            throw new MalformedChunkException("a chunk's data is not followed by CRLF where its size says it ends");
        }
    }

    private String takeLine() {
        String text = line.toString();
        line.setLength(0);
        return text;
    }

    /** Whitespace may precede the extensions (RFC 9112's BWS) and is tolerated after a bare size. */
    private static String stripWhitespace(String size) {
        int end = size.length();
        while (end > 0 && (size.charAt(end - 1) == ' ' || size.charAt(end - 1) == '\t')) {
            end--;
        }
        return size.substring(0, end);
    }

    private static int hexValue(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        } else if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static String quote(String text) {
        return text.length() <= QUOTED_CHARS ? text : text.substring(0, QUOTED_CHARS) + "...";
    }
}
