package io.sserelay.relay.http;

import io.undertow.conduits.ReadDataStreamSourceConduit;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.protocol.http.HttpServerConnection;
import org.xnio.IoUtils;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.StreamSourceConduit;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A chunked request body, decoded by the relay ({@link ChunkedBodyDecoder}) in place of
 * Undertow's {@code ChunkedStreamSourceConduit}, which closes the connection on a malformed chunk
 * before any handler can answer. This conduit closes nothing: a malformed chunk fails the read
 * with a {@link MalformedChunkException} and ends the request as not persistent, so that the
 * reader can answer ({@link BodyReceiver}: 400 {@code malformed_chunk}) and Undertow then closes
 * the connection.
 *
 * <p>Otherwise it does what Undertow's does: it reads the bytes that came with the request head
 * first, hands back what it read past the body (a pipelined request) so the connection can go on,
 * refuses data past the exchange's maximum entity size, ends the request
 * ({@link Connectors#terminateRequest}) when the body ends or fails, and marks the exchange not
 * persistent when reads are shut down before the body's end.
 *
 * <p>Threads: whichever thread reads the exchange's body, one at a time, as for any request conduit.
 */
final class ChunkedRequestConduit extends AbstractStreamSourceConduit<StreamSourceConduit> {

    private final HttpServerExchange exchange;
    private final HttpServerConnection connection;
    private final ChunkedBodyDecoder decoder = new ChunkedBodyDecoder();
    private long maxBytes = Long.MIN_VALUE;
    private long received;
    private IOException failure;
    private boolean ended;
    private boolean readsShutDown;

    ChunkedRequestConduit(HttpServerExchange exchange, HttpServerConnection connection) {
        // The conduit Undertow gives its own decoder: the bytes read with the head, then the socket.
        super(new ReadDataStreamSourceConduit(connection.getOriginalSourceConduit(), connection));
        this.exchange = exchange;
        this.connection = connection;
    }

    /**
     * Ends the request only in the read that reports the end (-1), as Undertow's decoder does: ending
     * it suspends the exchange's reads, and Undertow ends an exchange whose reader returns from a
     * callback with reads neither resumed nor dispatched.
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (readsShutDown) {
            return -1;
        }
        if (decoder.isDone()) {
            end();
            return -1;
        }
        int copied = 0;
        while (copied == 0 && dst.hasRemaining()) {
            PooledByteBuffer pooled = connection.getByteBufferPool().allocate();
            try {
                ByteBuffer in = pooled.getBuffer();
                in.clear();
                int read = next.read(in);
                if (read == 0) {
                    return 0;
                } else if (read < 0) {
                    throw fail(new EOFException("the connection was closed before the chunked body's end"));
                }
                in.flip();
                int start = dst.position();
                boolean done = decoder.decode(in, dst);
                copied = dst.position() - start;
                checkSize(copied);
                if (in.hasRemaining()) {
                    connection.ungetRequestBytes(pooled);
                    pooled = null;
                }
                if (done && copied == 0) {
                    end();
                    return -1;
                }
            } catch (MalformedChunkException e) {
                throw fail(e);
            } finally {
                if (pooled != null) {
                    pooled.close();
                }
            }
        }
        return copied;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]);
            }
        }
        return 0;
    }

    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
        return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
        return IoUtils.transfer(new ConduitReadableByteChannel(this), count, throughBuffer, target);
    }

    @Override
    public void terminateReads() throws IOException {
        readsShutDown = true;
        if (!decoder.isDone()) {
            exchange.setPersistent(false);
        }
        next.terminateReads();
    }

    private void checkSize(int copied) throws RequestTooBigException {
        if (maxBytes == Long.MIN_VALUE) {
            // Read at the first read, not when the request began: a handler may set it until then
            // (BodyReceiver does), and Undertow's decoder, made with the head, never saw it.
            maxBytes = exchange.getMaxEntitySize();
        }
        received += copied;
        if (maxBytes > 0 && received > maxBytes) {
            throw fail(new RequestTooBigException("the request body is larger than " + maxBytes + " bytes"));
        }
    }

    private <E extends IOException> E fail(E e) {
        failure = e;
        exchange.setPersistent(false);
        end();
        return e;
    }

    /** As Undertow's decoder ends a request: not persistent unless the whole body was read. */
    private void end() {
        if (!ended) {
            ended = true;
            if (!decoder.isDone()) {
                exchange.setPersistent(false);
            }
            Connectors.terminateRequest(exchange);
        }
    }
}
