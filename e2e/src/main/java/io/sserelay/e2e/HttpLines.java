package io.sserelay.e2e;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** Reads the CRLF-terminated lines of HTTP/1.1 heads and chunk headers, bounded in length. */
public final class HttpLines {

    private HttpLines() {
    }

    /** One line without its line end; a bare LF is accepted too (RFC 9112, section 2.2). */
    public static String read(InputStream in, int maxLength, String where) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new EOFException("the stream ended inside " + where);
            }
            if (c != '\r') {
                line.append((char) c);
            }
            if (line.length() > maxLength) {
                throw new IOException(where + " is longer than " + maxLength + " bytes");
            }
        }
        return line.toString();
    }
}
