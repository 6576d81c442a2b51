package io.sserelay.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Talks to a relay process over its public HTTP API, as a client or an observer would. */
public final class RelayHttp {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** How long a request waits for its answer; a relay that stops answering fails the run instead of stalling it. */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);

    private RelayHttp() {
    }

    /**
     * Whether the relay is ready with exactly {@code others} peers in its view of the cluster. A
     * relay is ready once every member of its view has handed it over its streams, which takes a
     * working link from each of them.
     *
     * @param adminUrl the base URL of the relay's admin port, where its metrics are
     */
    public static boolean meshedWith(String adminUrl, int others) {
        try {
            if (HTTP.send(HttpRequest.newBuilder(URI.create(adminUrl + "/readyz")).timeout(ANSWER_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                return false;
            }
            String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(adminUrl + "/metrics"))
                    .timeout(ANSWER_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return sample(metrics, "sserelay_peers") == others;
        } catch (IOException e) {
            return false; // not listening yet, or gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Publishes {@code text} on a connection of its own, as one {@code curl} command does, and
     * returns the HTTP status. Through a Service each such publish may land on another relay;
     * the JDK's client would keep publishing on one pooled connection, and so to one relay.
     * Written on a plain socket because that client cannot be told to close its connection.
     */
    public static int publishOnNewConnection(InetSocketAddress server, String stream, String token, String text)
            throws IOException {
        return publishOnNewConnection(server, stream, token, text, null);
    }

    /** As {@link #publishOnNewConnection(InetSocketAddress, String, String, String)}, with an {@code Idempotency-Key} unless null. */
    public static int publishOnNewConnection(InetSocketAddress server, String stream, String token, String text,
            String idempotencyKey) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket()) {
            socket.connect(server, 5_000);
            socket.setSoTimeout(30_000);
            String head = "POST /streams/" + stream + " HTTP/1.1\r\n"
                    + "Host: " + server.getHostString() + ":" + server.getPort() + "\r\n"
                    + "Authorization: Bearer " + token + "\r\n"
                    + "Content-Type: text/plain\r\n"
                    + (idempotencyKey == null ? "" : "Idempotency-Key: " + idempotencyKey + "\r\n")
                    + "Content-Length: " + body.length + "\r\n"
                    + "Connection: close\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1)).readLine();
            String[] parts = statusLine == null ? new String[0] : statusLine.split(" ", 3);
            if (parts.length < 2) {
                throw new IOException("no HTTP status line from " + server + ": " + statusLine);
            }
            return Integer.parseInt(parts[1]);
        }
    }

    /**
     * The value of the sample named exactly {@code name} (labels included, e.g.
     * {@code sserelay_peer_link_up{peer="127.0.1.2:7070"}}) in a Prometheus exposition, or -1.
     */
    public static double sample(String metrics, String name) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return -1;
    }
}
