package io.sserelay.e2e;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Decodes an HTTP/1.1 chunked body (RFC 9112, section 7.1); ends at the last chunk. Public for
 * other plain-socket HTTP clients of the project (the end-to-end tests' EventSource).
 */
public final class ChunkedInputStream extends InputStream {

    private static final int MAX_SIZE_LINE = 1024;

    private final InputStream in;
    private long remaining;
    private boolean done;

    public ChunkedInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (!nextChunkIfNeeded()) {
            return -1;
        }
        int read = in.read(buffer, offset, (int) Math.min(length, remaining));
        if (read < 0) {
            throw new EOFException("the stream ended inside a chunk");
        }
        remaining -= read;
        if (remaining == 0) {
            expectCrlf();
        }
        return read;
    }

    @Override
    public int available() throws IOException {
        if (done) {
            return 0;
        }
        return (int) Math.min(remaining, in.available());
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private boolean nextChunkIfNeeded() throws IOException {
        while (!done && remaining == 0) {
            String line = HttpLines.read(in, MAX_SIZE_LINE, "a chunk header");
            int semicolon = line.indexOf(';');
            String size = (semicolon < 0 ? line : line.substring(0, semicolon)).trim();
            try {
                remaining = Long.parseLong(size, 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size '" + size + "'");
            }
            if (remaining < 0) {
                throw new IOException("bad chunk size '" + size + "'");
            }
            if (remaining == 0) {
                done = true;
            }
        }
        return !done;
    }

    private void expectCrlf() throws IOException {
        if (in.read() != '\r' || in.read() != '\n') {
            throw new IOException("a chunk does not end in CRLF");
        }
    }
}
