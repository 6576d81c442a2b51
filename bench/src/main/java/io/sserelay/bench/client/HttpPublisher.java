package io.sserelay.bench.client;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Publishes events to one relay over one persistent HTTP/1.1 connection, one request at a
 * time, as an application's publishing client would. Plain sockets keep the publisher's own
 * cost small and predictable next to the relay it measures.
 *
 * <p>Not thread-safe: one per publishing thread.
 */
public final class HttpPublisher implements AutoCloseable {

    private final InetSocketAddress relay;
    private final String token;
    private Socket socket;
    private OutputStream out;
    private InputStream in;

    public HttpPublisher(InetSocketAddress relay, String token) {
        this.relay = relay;
        this.token = token;
    }

    /** Publishes {@code data} as a text event on {@code stream}; fails unless the relay accepts it. */
    public void publish(String stream, byte[] data) throws IOException {
        send("/streams/" + stream, "text/plain", data);
    }

    /**
     * Publishes several events on {@code stream} in one {@code POST /publish}; each data must be
     * text that needs no escaping in a JSON string, as {@link EventPayload}s are.
     */
    public void publishBatch(String stream, List<byte[]> data) throws IOException {
        StringBuilder json = new StringBuilder(data.size() * 160).append('[');
        for (byte[] d : data) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("{\"stream\":\"").append(stream).append("\",\"data\":\"")
                    .append(new String(d, StandardCharsets.US_ASCII)).append("\"}");
        }
        send("/publish", "application/json", json.append(']').toString().getBytes(StandardCharsets.US_ASCII));
    }

    private void send(String path, String contentType, byte[] data) throws IOException {
        if (socket == null) {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(relay, 5_000);
            socket.setSoTimeout(30_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
        }
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: " + relay.getHostString() + ":" + relay.getPort() + "\r\n"
                + "Authorization: Bearer " + token + "\r\n"
                + "Content-Type: " + contentType + "\r\n"
                + "Content-Length: " + data.length + "\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[headBytes.length + data.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(data, 0, request, headBytes.length, data.length);
        try {
            out.write(request);
            out.flush();
            readResponse();
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private void readResponse() throws IOException {
        String statusLine = readLine();
        long contentLength = 0;
        String line;
        while (!(line = readLine()).isEmpty()) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                contentLength = Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        byte[] body = in.readNBytes((int) contentLength);
        if (!statusLine.startsWith("HTTP/1.1 202")) {
            throw new IOException("the relay refused a publish: " + statusLine + " "
                    + new String(body, StandardCharsets.UTF_8));
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("the relay closed the connection mid-response");
            }
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
            socket = null;
        }
    }
}
