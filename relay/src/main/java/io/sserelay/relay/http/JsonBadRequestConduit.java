package io.sserelay.relay.http;

import org.xnio.Buffers;
import org.xnio.conduits.AbstractStreamSinkConduit;
import org.xnio.conduits.Conduits;
import org.xnio.conduits.StreamSinkConduit;
import org.xnio.channels.StreamSourceChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * Answers a request head Undertow cannot parse with the relay's JSON error instead of Undertow's
 * empty 400.
 *
 * <p>Undertow's HTTP/1.1 parser refuses such a head (a request line, a header line or a %-escape
 * it cannot parse, two or a negative Content-Length, Content-Length with Transfer-Encoding, a
 * head over its size limit, bytes that are not HTTP) before any handler runs: it writes fixed
 * bytes to the connection, shuts writes down and closes it, and has no option to change the
 * bytes. This conduit sits under everything written on a connection and swaps a write of exactly
 * those bytes for a complete JSON 400. Nothing else can be such a write: Undertow writes them
 * from the start of a buffer of their own; a response to an exchange has a Date header; and a
 * stream that resumes a frame after a partial write starts mid-buffer, while no SSE or peer frame
 * starts with "HTTP".
 *
 * <p>The answer ends the connection, so nothing may be written after it; what the socket does not
 * take at once goes out on {@link #flush()}. Undertow flushes once before it closes, as it would
 * for its own bytes.
 *
 * <p>Threads: the connection's IO thread, like every conduit of the connection.
 */
final class JsonBadRequestConduit extends AbstractStreamSinkConduit<StreamSinkConduit> {

    /** What Undertow 2.4's {@code HttpReadListener.sendBadRequestAndClose} writes. */
    static final byte[] UNDERTOWS_BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
    private static final ByteBuffer UNDERTOWS_BAD_REQUEST_BUFFER = ByteBuffer.wrap(UNDERTOWS_BAD_REQUEST)
            .asReadOnlyBuffer();

    static final String MESSAGE = "the request is not valid HTTP/1.1: its request line, a header line, a %-escape"
            + " in its target (% and two hex digits) or its framing (one Content-Length, or Transfer-Encoding"
            + " without it) could not be parsed, or its head is too large";

    /** The rest of the JSON answer, once Undertow's bytes were replaced by it. */
    private ByteBuffer answer;
    /** Undertow shut writes down while the answer was not out yet. */
    private boolean shutdownPending;

    JsonBadRequestConduit(StreamSinkConduit next) {
        super(next);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        refuseAfterAnswer();
        if (src.position() == 0 && src.equals(UNDERTOWS_BAD_REQUEST_BUFFER)) {
            src.position(src.limit());
            answer();
            return UNDERTOWS_BAD_REQUEST.length;
        }
        return next.write(src);
    }

    /** Undertow writes its bytes with one buffer; a gathering write of them is answered the same. */
    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        refuseAfterAnswer();
        if (isUndertowsBadRequest(srcs, offset, length)) {
            for (int i = offset; i < offset + length; i++) {
                srcs[i].position(srcs[i].limit());
            }
            answer();
            return UNDERTOWS_BAD_REQUEST.length;
        }
        return next.write(srcs, offset, length);
    }

    @Override
    public int writeFinal(ByteBuffer src) throws IOException {
        return Conduits.writeFinalBasic(this, src);
    }

    @Override
    public long writeFinal(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return Conduits.writeFinalBasic(this, srcs, offset, length);
    }

    @Override
    public long transferFrom(FileChannel src, long position, long count) throws IOException {
        refuseAfterAnswer();
        return next.transferFrom(src, position, count);
    }

    @Override
    public long transferFrom(StreamSourceChannel source, long count, ByteBuffer throughBuffer) throws IOException {
        refuseAfterAnswer();
        return next.transferFrom(source, count, throughBuffer);
    }

    @Override
    public boolean flush() throws IOException {
        return sendAnswer() && next.flush();
    }

    @Override
    public void terminateWrites() throws IOException {
        if (answer != null && answer.hasRemaining()) {
            shutdownPending = true;
        } else {
            next.terminateWrites();
        }
    }

    @Override
    public boolean isWriteShutdown() {
        return shutdownPending || next.isWriteShutdown();
    }

    @Override
    public void truncateWrites() throws IOException {
        shutdownPending = false;
        next.truncateWrites();
    }

    private void answer() throws IOException {
        answer = ByteBuffer.wrap(ApiError.badRequest("malformed_request", MESSAGE).closingResponse());
        sendAnswer();
    }

    /** Whether all of the answer, if there is one, is out. */
    private boolean sendAnswer() throws IOException {
        if (answer == null || !answer.hasRemaining()) {
            return true;
        }
        while (answer.hasRemaining() && next.write(answer) > 0) {
            // the socket takes more
        }
        if (answer.hasRemaining()) {
            return false;
        }
        if (shutdownPending) {
            shutdownPending = false;
            next.terminateWrites();
        }
        return true;
    }

    private void refuseAfterAnswer() throws ClosedChannelException {
        if (answer != null) {
            throw new ClosedChannelException();
        }
    }

    private static boolean isUndertowsBadRequest(ByteBuffer[] srcs, int offset, int length) {
        if (Buffers.remaining(srcs, offset, length) != UNDERTOWS_BAD_REQUEST.length) {
            return false;
        }
        int matched = 0;
        for (int i = offset; i < offset + length; i++) {
            ByteBuffer src = srcs[i];
            if (matched == 0 && src.hasRemaining() && src.position() != 0) {
                return false;
            }
            for (int at = src.position(); at < src.limit(); at++) {
                if (src.get(at) != UNDERTOWS_BAD_REQUEST[matched++]) {
                    return false;
                }
            }
        }
        return true;
    }
}
