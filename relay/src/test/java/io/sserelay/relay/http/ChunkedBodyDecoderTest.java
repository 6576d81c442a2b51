package io.sserelay.relay.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The chunked coding, fed in every way a socket could cut it. */
class ChunkedBodyDecoderTest {

    private static final String NEXT_REQUEST = "GET /healthz HTTP/1.1\r\n\r\n";

    /** Sizes in both cases and with leading zeros, extensions with and without whitespace, trailers. */
    private static final String BODY = "5\r\nhello\r\n"
            + "0A;name=value\r\n, chunked!\r\n"
            + "00001 ; a ; b=\"q;d\"\r\n\n\r\n"
            + "1b\r\n" + "x".repeat(27) + "\r\n"
            + "0;last\r\nChecksum: abc\r\nX-Other:\r\n\r\n";
    private static final String DATA = "hello, chunked!\n" + "x".repeat(27);

    @Test
    void decodesTheBodyInOnePieceAndLeavesWhatFollowsIt() throws MalformedChunkException {
        assertDecodes(List.of(BODY.length() + NEXT_REQUEST.length()), 1 << 16);
    }

    @Test
    void decodesTheBodyFedByteByByteIntoOneByteAtATime() throws MalformedChunkException {
        assertDecodes(pieces(1), 1);
    }

    @Test
    void decodesTheBodyCutAtEveryPlace() throws MalformedChunkException {
        for (int cut = 1; cut < BODY.length() + NEXT_REQUEST.length(); cut++) {
            assertDecodes(List.of(cut, BODY.length() + NEXT_REQUEST.length() - cut), 1 << 16);
        }
    }

    @Test
    void decodesTheBodyInOddPiecesIntoOddBuffers() throws MalformedChunkException {
        for (int piece : new int[] {2, 3, 5, 7, 11}) {
            for (int out : new int[] {2, 3, 4, 13}) {
                assertDecodes(pieces(piece), out);
            }
        }
    }

    @Test
    void aBodyOfOnlyTheLastChunkIsEmpty() throws MalformedChunkException {
        ChunkedBodyDecoder decoder = new ChunkedBodyDecoder();
        ByteBuffer in = ascii("0\r\n\r\n");
        ByteBuffer out = ByteBuffer.allocate(16);
        assertThat(decoder.decode(in, out)).isTrue();
        assertThat(out.position()).isZero();
        assertThat(decoder.isDone()).isTrue();
    }

    @Test
    void waitsForMoreWhileTheBodyIsIncomplete() throws MalformedChunkException {
        ChunkedBodyDecoder decoder = new ChunkedBodyDecoder();
        ByteBuffer out = ByteBuffer.allocate(16);
        assertThat(decoder.decode(ascii("5\r\nhel"), out)).isFalse();
        assertThat(decoder.decode(ascii("lo\r\n0\r\n"), out)).isFalse();
        assertThat(decoder.isDone()).isFalse();
        assertThat(decoder.decode(ascii("\r\n"), out)).isTrue();
        assertThat(new String(out.array(), 0, out.position(), StandardCharsets.US_ASCII)).isEqualTo("hello");
    }

    static Stream<Arguments> malformedBodies() {
        return Stream.of(
                arguments("zz\r\nx\r\n0\r\n\r\n", "the chunk size line 'zz' is not hexadecimal"),
                arguments("-1\r\nx\r\n0\r\n\r\n", "the chunk size line '-1' is not hexadecimal"),
                arguments("0x5\r\nhello\r\n0\r\n\r\n", "the chunk size line '0x5' is not hexadecimal"),
                arguments(";ext\r\nx\r\n0\r\n\r\n", "the chunk size line ';ext' is not hexadecimal"),
                arguments("\r\n", "a chunk size line is empty: a chunk starts with its size in hexadecimal"),
                arguments("1\r\nx\r\n\r\n", "a chunk size line is empty: a chunk starts with its size in hexadecimal"),
                arguments("10000000000000000\r\n", "the chunk size '10000000000000000' is too large"),
                arguments("8000000000000000\r\n", "the chunk size '8000000000000000' is too large"),
                arguments("3\r\nhello\r\n0\r\n\r\n", "a chunk's data is not followed by CRLF where its size says it ends"),
                arguments("5\r\nhello\n0\r\n\r\n", "a chunk's data is not followed by CRLF where its size says it ends"),
                arguments("5\nhello\r\n", "a chunk size line ends in a bare LF; the lines of a chunked body end in CRLF"),
                arguments("5\rhello\r\n", "a chunk size line has a CR that is not followed by LF"),
                arguments("1;" + "e".repeat(ChunkedBodyDecoder.MAX_SIZE_LINE_BYTES) + "\r\nx\r\n0\r\n\r\n",
                        "a chunk size line is longer than 1024 bytes (with its extensions)"),
                arguments("0\r\n" + "X-Long: " + "t".repeat(ChunkedBodyDecoder.MAX_TRAILER_BYTES) + "\r\n\r\n",
                        "the trailer section is longer than 8192 bytes"),
                arguments("0\r\n" + ("X-Many: " + "t".repeat(1000) + "\r\n").repeat(9) + "\r\n",
                        "the trailer section is longer than 8192 bytes"),
                arguments("0\r\nNoColonHere\r\n\r\n", "the trailer line 'NoColonHere' has no colon"),
                arguments("0\r\nX: y\n\r\n", "a trailer line ends in a bare LF; the lines of a chunked body end in CRLF"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("malformedBodies")
    void refusesAMalformedBodyWhicheverWayItIsCut(String wire, String message) {
        for (List<Integer> pieces : List.of(List.of(wire.length()), piecesOf(wire.length(), 1), piecesOf(wire.length(), 3))) {
            ChunkedBodyDecoder decoder = new ChunkedBodyDecoder();
            assertThatThrownBy(() -> feed(decoder, wire, pieces, 4)).as("in pieces %s", pieces)
                    .isInstanceOf(MalformedChunkException.class).hasMessage(message);
        }
    }

    @Test
    void theLargestChunkSizeIsAccepted() throws MalformedChunkException {
        ChunkedBodyDecoder decoder = new ChunkedBodyDecoder();
        assertThat(decoder.decode(ascii("7fffffffffffffff\r\nab"), ByteBuffer.allocate(4))).isFalse();
    }

    /** Decodes BODY + NEXT_REQUEST cut into {@code pieces}, into buffers of {@code outSize}. */
    private static void assertDecodes(List<Integer> pieces, int outSize) throws MalformedChunkException {
        ChunkedBodyDecoder decoder = new ChunkedBodyDecoder();
        Fed fed = feed(decoder, BODY + NEXT_REQUEST, pieces, outSize);
        assertThat(fed.data()).as("data from pieces %s into %d", pieces, outSize).isEqualTo(DATA);
        assertThat(fed.leftover()).as("what follows the body, pieces %s", pieces).isEqualTo(NEXT_REQUEST);
        assertThat(decoder.isDone()).isTrue();
    }

    private record Fed(String data, String leftover) {
    }

    private static Fed feed(ChunkedBodyDecoder decoder, String wire, List<Integer> pieces, int outSize)
            throws MalformedChunkException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        byte[] bytes = wire.getBytes(StandardCharsets.ISO_8859_1);
        int at = 0;
        for (int size : pieces) {
            ByteBuffer in = ByteBuffer.wrap(bytes, at, size);
            at += size;
            while (true) {
                ByteBuffer out = ByteBuffer.allocate(outSize);
                boolean done = decoder.decode(in, out);
                data.write(out.array(), 0, out.position());
                if (done) {
                    String leftover = new String(bytes, in.position(), bytes.length - in.position(), StandardCharsets.ISO_8859_1);
                    return new Fed(data.toString(StandardCharsets.ISO_8859_1), leftover);
                }
                if (!in.hasRemaining()) {
                    break;
                }
            }
        }
        return new Fed(data.toString(StandardCharsets.ISO_8859_1), null);
    }

    private static List<Integer> pieces(int size) {
        return piecesOf(BODY.length() + NEXT_REQUEST.length(), size);
    }

    private static List<Integer> piecesOf(int total, int size) {
        List<Integer> pieces = new ArrayList<>();
        IntStream.iterate(0, at -> at < total, at -> at + size).forEach(at -> pieces.add(Math.min(size, total - at)));
        return pieces;
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }
}
