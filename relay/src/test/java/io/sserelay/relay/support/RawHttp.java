package io.sserelay.relay.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, byte for byte as the test writes it: for request lines and
 * framing no well-behaved client would send (raw non-ASCII, a backslash, a stalled body).
 * Reads responses with a Content-Length body, which is how the relay answers everything but
 * a stream.
 */
public final class RawHttp implements AutoCloseable {

    /** One response; header names are lower case. */
    public record Response(int status, Map<String, String> headers, String body) {
    }

    private final Socket socket;
    private final InputStream in;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    /** Connects to {@code host:port}; every read waits at most {@code timeout}. */
    public static RawHttp connect(String host, int port, Duration timeout) {
        try {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            return new RawHttp(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one request and reads its response. */
    public static Response exchange(String host, int port, String request) {
        try (RawHttp http = connect(host, port, Duration.ofSeconds(30))) {
            http.send(request);
            return http.readResponse();
        }
    }

    /** Writes {@code text} as ISO-8859-1, one byte per char, so any byte can be sent. */
    public RawHttp send(String text) {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawHttp send(byte[] bytes) {
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the next response head and its Content-Length body (none for a 1xx). */
    public Response readResponse() {
        return readResponse(true);
    }

    /** As {@link #readResponse()}; a response to HEAD has no body whatever its Content-Length. */
    public Response readResponse(boolean bodyExpected) {
        try {
            String head = readHead();
            String[] lines = head.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            int status = Integer.parseInt(statusLine[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            int length = status < 200 || !bodyExpected ? 0
                    : Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the server has closed the connection: the next read ends the stream. */
    public boolean isClosedByServer() {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** Whether the connection is still open, waiting at most {@code wait} for the server to close it. */
    public boolean isOpenAfter(Duration wait) {
        try {
            int timeout = socket.getSoTimeout();
            socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
            try {
                return !isClosedByServer();
            } finally {
                socket.setSoTimeout(timeout);
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads exactly {@code count} bytes of a body that streams, as ISO-8859-1 text. */
    public String readBytes(int count) {
        try {
            return new String(in.readNBytes(count), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the next response head only, for a response that streams. */
    public String readResponseHead() {
        try {
            return readHead();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the server closed the connection after " + head.size() + " bytes of a response"
                        + " head: '" + head.toString(StandardCharsets.ISO_8859_1) + "'");
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1).stripTrailing();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
