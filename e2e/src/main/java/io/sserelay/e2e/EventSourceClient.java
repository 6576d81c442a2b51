package io.sserelay.e2e;


import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A subscriber that behaves as a browser's {@code EventSource} does (WHATWG HTML, "Server-sent
 * events"): it reads an event stream over HTTP/1.1, and when the stream ends or the connection
 * drops it waits the reconnection time the server last sent ({@code retry:}) and requests the
 * same path again with {@code Last-Event-ID}. A response other than {@code 200} with
 * {@code text/event-stream} ends it for good, as it ends an EventSource. It records every
 * event with data, and the local address of each connection it made.
 *
 * <p>Written on a plain socket rather than with the JDK's HttpClient because a test must learn
 * where each connection went through a {@code ServiceProxy}, which knows connections by the
 * client's address, and the JDK 17 client does not tell a connection's local address.
 *
 * <p>Threads: one thread reads the stream, waits and reconnects; the accessors may be called
 * from any thread.
 */
public final class EventSourceClient implements AutoCloseable {

    private static final int DEFAULT_RETRY_MILLIS = 3_000;
    private static final int MAX_HEAD_LINE = 8192;

    /**
     * An event with data, the last event id in force when it was dispatched, and when it was
     * dispatched ({@link System#nanoTime()}).
     */
    public record Event(String id, String type, String data, long receivedAtNanos) {
    }

    private final InetSocketAddress server;
    private final String path;
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final List<InetSocketAddress> connections = new CopyOnWriteArrayList<>();
    private final List<Long> connectedAtNanos = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile Socket socket;
    private volatile String lastEventId = "";
    private volatile long retryMillis = DEFAULT_RETRY_MILLIS;
    private volatile String failure;
    private volatile boolean closed;

    private EventSourceClient(InetSocketAddress server, String path) {
        this.server = server;
        this.path = path;
        this.reader = new Thread(this::run, "event-source-" + path);
        reader.setDaemon(true);
    }

    /** Starts subscribing to {@code path} (e.g. {@code /streams/news}) at {@code server}. */
    public static EventSourceClient open(InetSocketAddress server, String path) {
        EventSourceClient client = new EventSourceClient(server, path);
        client.reader.start();
        return client;
    }

    /** The events received so far, over every connection. */
    public List<Event> events() {
        return List.copyOf(events);
    }

    /** The data of the events received so far. */
    public List<String> data() {
        return events.stream().map(Event::data).toList();
    }

    /** The id it would send as {@code Last-Event-ID} if it reconnected now; empty before any. */
    public String lastEventId() {
        return lastEventId;
    }

    /** The local address of each connection it made, the current one last. */
    public List<InetSocketAddress> connections() {
        return List.copyOf(connections);
    }

    /** When each connection was made ({@link System#nanoTime()}), in the order of {@link #connections()}. */
    public List<Long> connectedAtNanos() {
        return List.copyOf(connectedAtNanos);
    }

    /** The local address of its latest connection, if it made one. */
    public Optional<InetSocketAddress> latestConnection() {
        List<InetSocketAddress> all = connections();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Why it stopped for good (a response an EventSource would not retry), or null. */
    public String failure() {
        return failure;
    }

    private void run() {
        while (!closed) {
            try (Socket connection = new Socket()) {
                socket = connection;
                connection.connect(server, 5_000);
                connectedAtNanos.add(System.nanoTime());
                connections.add((InetSocketAddress) connection.getLocalSocketAddress());
                read(connection);
            } catch (IOException e) {
                // The connection dropped or was refused: reconnect, as an EventSource does.
            } catch (StreamRejected e) {
                failure = e.getMessage();
                return;
            }
            if (!closed) {
                waitToReconnect();
            }
        }
    }

    private void waitToReconnect() {
        try {
            Thread.sleep(retryMillis); // the reconnection time, as the server asked
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    private void read(Socket connection) throws IOException {
        OutputStream out = connection.getOutputStream();
        StringBuilder request = new StringBuilder()
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(server.getHostString()).append(':').append(server.getPort()).append("\r\n")
                .append("Accept: text/event-stream\r\n")
                .append("Cache-Control: no-cache\r\n");
        if (!lastEventId.isEmpty()) {
            request.append("Last-Event-ID: ").append(lastEventId).append("\r\n");
        }
        out.write(request.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
        out.flush();

        InputStream in = new BufferedInputStream(connection.getInputStream());
        String statusLine = HttpLines.read(in, MAX_HEAD_LINE, "the response head");
        Map<String, String> headers = new HashMap<>();
        String line;
        while (!(line = HttpLines.read(in, MAX_HEAD_LINE, "the response head")).isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        String[] status = statusLine.split(" ", 3);
        String type = headers.getOrDefault("content-type", "");
        if (status.length < 2 || !status[1].equals("200") || !type.startsWith("text/event-stream")) {
            throw new StreamRejected("the server answered " + statusLine + " with content type '" + type + "'");
        }
        InputStream body = "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? new ChunkedInputStream(in) : in;
        parse(new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8)));
    }

    /** Interprets the event stream until it ends. */
    private void parse(BufferedReader lines) throws IOException {
        StringBuilder data = new StringBuilder();
        String eventType = "";
        String idBuffer = lastEventId;
        String line;
        // BufferedReader ends lines at LF, CR and CRLF, as the event stream grammar does.
        while ((line = lines.readLine()) != null) {
            if (line.isEmpty()) {
                lastEventId = idBuffer;
                if (data.length() > 0) {
                    events.add(new Event(lastEventId, eventType.isEmpty() ? "message" : eventType,
                            data.substring(0, data.length() - 1), System.nanoTime()));
                }
                data.setLength(0);
                eventType = "";
                continue;
            }
            int colon = line.indexOf(':');
            if (colon == 0) {
                continue; // a comment
            }
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            switch (field) {
                case "data" -> data.append(value).append('\n');
                case "event" -> eventType = value;
                case "id" -> {
                    if (value.indexOf('\0') < 0) {
                        idBuffer = value;
                    }
                }
                case "retry" -> {
                    if (!value.isEmpty() && value.chars().allMatch(Character::isDigit)) {
                        retryMillis = Long.parseLong(value);
                    }
                }
                default -> {
                    // other fields are ignored
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        reader.interrupt();
        Socket current = socket;
        if (current != null) {
            try {
                current.close();
            } catch (IOException ignored) {
                // closing is all that is left to do
            }
        }
    }

    /** A response an EventSource fails on instead of reconnecting. */
    private static final class StreamRejected extends RuntimeException {
        StreamRejected(String message) {
            super(message, null, false, false);
        }
    }
}
