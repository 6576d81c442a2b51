package io.sserelay.relay.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;

/**
 * A test subscriber over a real HTTP connection (JDK HttpClient), parsing the stream as the
 * WHATWG event stream rules say: lines end in LF, CR or CRLF, fields split at the first colon
 * with one leading space dropped, a blank line ends a block. A reader thread records every
 * block; tests wait on what was recorded.
 */
public final class SseClient implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final HttpResponse<InputStream> response;
    private final List<SseFrame> frames = new CopyOnWriteArrayList<>();
    private final boolean retainFrames;
    private final AtomicLong eventCount = new AtomicLong();
    private final Thread reader;
    private volatile String lastEventId;
    private volatile String lastData;
    private volatile boolean ended;
    private volatile Throwable failure;

    private SseClient(HttpResponse<InputStream> response, boolean retainFrames) {
        this.response = response;
        this.retainFrames = retainFrames;
        this.reader = new Thread(this::read, "sse-client");
        reader.setDaemon(true);
        if (response.statusCode() == 200) {
            reader.start();
        }
    }

    public static SseClient connect(String url) {
        return connect(url, Map.of(), true);
    }

    /** @param retainFrames false to only count events (for tests that move a lot of data) */
    public static SseClient connect(String url, Map<String, String> headers, boolean retainFrames) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(TestRelay.ANSWER_TIMEOUT).GET();
        headers.forEach(request::header);
        try {
            return new SseClient(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()), retainFrames);
        } catch (IOException e) {
            throw new IllegalStateException("cannot connect to " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int status() {
        return response.statusCode();
    }

    public HttpResponse<InputStream> response() {
        return response;
    }

    public List<SseFrame> frames() {
        return List.copyOf(frames);
    }

    public List<SseFrame> events() {
        return frames.stream().filter(SseFrame::isEvent).toList();
    }

    public List<String> data() {
        return events().stream().map(SseFrame::data).toList();
    }

    public long eventCount() {
        return eventCount.get();
    }

    /** The id a browser would send as Last-Event-ID if it reconnected now. */
    public String lastEventId() {
        return lastEventId;
    }

    public String lastData() {
        return lastData;
    }

    /** True once the server ended the response or the connection dropped. */
    public boolean ended() {
        return ended;
    }

    public Throwable failure() {
        return failure;
    }

    public SseClient awaitEvents(int count) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(10))
                .until(() -> eventCount.get() >= count);
        return this;
    }

    public SseClient awaitEnded() {
        await().atMost(Duration.ofSeconds(20)).until(this::ended);
        return this;
    }

    /** Closes the connection and waits until everything received before was recorded. */
    public void closeAndWait() {
        close();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        try {
            response.body().close();
        } catch (IOException ignored) {
            // closing aborts the exchange; nothing else to do
        }
        reader.interrupt();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            String retry = null;
            List<String> comments = new ArrayList<>();
            boolean any = false;
            String line;
            // BufferedReader.readLine ends lines at LF, CR and CRLF, exactly as the SSE grammar does.
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (any) {
                        SseFrame frame = new SseFrame(id, event, data == null ? null : data.toString(), retry,
                                List.copyOf(comments));
                        record(frame);
                    }
                    id = null;
                    event = null;
                    data = null;
                    retry = null;
                    comments.clear();
                    any = false;
                    continue;
                }
                any = true;
                int colon = line.indexOf(':');
                if (colon == 0) {
                    comments.add(line.substring(1).startsWith(" ") ? line.substring(2) : line.substring(1));
                    continue;
                }
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                switch (field) {
                    case "id" -> id = value;
                    case "event" -> event = value;
                    case "retry" -> retry = value;
                    case "data" -> {
                        if (data == null) {
                            data = new StringBuilder(value);
                        } else {
                            data.append('\n').append(value);
                        }
                    }
                    default -> {
                        // unknown fields are ignored, as a browser does
                    }
                }
            }
        } catch (IOException e) {
            failure = e;
        } finally {
            ended = true;
        }
    }

    private void record(SseFrame frame) {
        if (frame.id() != null) {
            lastEventId = frame.id();
        }
        if (frame.isEvent()) {
            lastData = frame.data();
            eventCount.incrementAndGet();
        }
        if (retainFrames || !frame.isEvent()) {
            frames.add(frame);
        }
    }
}
