package io.sserelay.relay;

import io.sserelay.relay.support.Metrics;
import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.RelayProcess;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an attacker, with or without a token, can make a relay hold: a relay with a 128 MiB
 * heap takes a million anonymous subscriptions to random streams and a million events on
 * distinct streams, and afterwards holds no more than its budgets and still serves. Memory is
 * read the way an operator would, with {@code jcmd} after a full collection.
 */
class MemoryBoundsTest {

    private static final int STREAMS_PER_CONNECTION = 20;
    private static final int SUBSCRIPTIONS = 1_000_000;
    private static final int EVENTS = 1_000_000;
    private static final int BATCH = 1000;
    private static final long MIB = 1024 * 1024;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aMillionAnonymousSubscribesAndAMillionDistinctStreamsStayWithinTheBudgets() throws Exception {
        try (RelayProcess relay = RelayProcess.start(Map.of(), "128m")) {
            long baseline = liveHeap(relay);
            double historyBudget = metric(relay, "sserelay_history_budget_bytes");
            assertThat(historyBudget).as("a quarter of the heap by default").isBetween(30.0 * MIB, 33.0 * MIB);

            subscribeAndLeave(relay, SUBSCRIPTIONS / STREAMS_PER_CONNECTION);
            await().atMost(Duration.ofSeconds(30)).alias("nothing is left of the streams they named")
                    .until(() -> metric(relay, "sserelay_streams") == 0);
            long afterSubscribes = liveHeap(relay);
            assertThat(metric(relay, "sserelay_connections_bytes")).isZero();
            assertThat(afterSubscribes).as("live heap after %d subscriptions (baseline %d MiB)", SUBSCRIPTIONS,
                    baseline / MIB).isLessThan(baseline + 8 * MIB);

            String firstEventId = publishToDistinctStreams(relay);
            assertThat(relay.isAlive()).isTrue();
            double historyBytes = metric(relay, "sserelay_history_bytes");
            assertThat(historyBytes).isLessThanOrEqualTo(historyBudget);
            assertThat(metric(relay, "sserelay_streams")).isGreaterThan(10_000);
            long afterEvents = liveHeap(relay);
            System.out.printf("MemoryBoundsTest: live heap %d MiB at start, %d MiB after %d subscriptions, %d MiB after"
                    + " %d events on distinct streams; history %.1f of %.1f MiB by its count, %.0f streams retained%n",
                    baseline / MIB, afterSubscribes / MIB, SUBSCRIPTIONS, afterEvents / MIB, EVENTS, historyBytes / MIB,
                    historyBudget / MIB, metric(relay, "sserelay_streams"));
            // The budget counts what the heap holds: the history's real heap stays near its count.
            assertThat(afterEvents - baseline).as("heap the history holds, against %s by its count", historyBytes)
                    .isLessThan((long) (historyBudget * 1.15));

            // Still serving: a new subscriber gets a new event, and a resume on a stream whose
            // events were evicted is told so.
            try (SseClient live = SseClient.connect(relay.url("/streams/after"));
                    SseClient evicted = SseClient.connect(relay.url("/streams/u0"),
                            Map.of("Last-Event-ID", firstEventId), true)) {
                assertThat(publish(relay, "/streams/after", "still here").statusCode()).isEqualTo(202);
                assertThat(live.awaitEvents(1).data()).containsExactly("still here");
                evicted.awaitEvents(1);
                assertThat(evicted.events()).extracting(SseFrame::type).as("u0's only event is long gone")
                        .containsExactly("reset");
            }
        }
    }

    @Test
    void subscribersBeyondTheConnectionBudgetAreAskedToComeBackNotDropped() throws Exception {
        try (RelayProcess relay = RelayProcess.start(Map.of("RELAY_CONNECTIONS_MAX_BYTES", "1Mi",
                "RELAY_MAX_CONNECTIONS_PER_ADDRESS", "1000"), "128m")) {
            List<Socket> held = new ArrayList<>();
            try {
                int admitted = 0;
                while (true) {
                    Socket socket = open(relay, "/events?" + streams("held" + admitted), false);
                    String head = readHead(socket);
                    if (!head.startsWith("HTTP/1.1 200")) {
                        socket.close();
                        assertThat(head).startsWith("HTTP/1.1 503");
                        break;
                    }
                    held.add(socket);
                    admitted++;
                    assertThat(admitted).as("admissions stop at the budget").isLessThan(200);
                }
                assertThat(admitted).as("1 MiB / %d bytes each", 4096 + 640 * STREAMS_PER_CONNECTION)
                        .isBetween(55, 62);

                // An EventSource is asked to come back later: 200, a retry and a comment; never a
                // status that would make a browser give up for good.
                // Each asks for as much as the connections held, so none can fit in what is left.
                String late = "/events?" + streams("latecomer");
                try (SseClient browser = SseClient.connect(relay.url(late),
                        Map.of("Accept", "text/event-stream"), true)) {
                    browser.awaitEnded();
                    assertThat(browser.status()).isEqualTo(200);
                    assertThat(browser.frames()).anyMatch(frame -> frame.retry() != null
                            && Long.parseLong(frame.retry()) >= 5000);
                    assertThat(browser.frames()).anyMatch(frame -> String.join(" ", frame.comments())
                            .contains("as many subscriber connections as its memory allows"));
                }
                // Other clients get a status and Retry-After.
                RawHttp.Response busy = RawHttp.exchange("127.0.0.1", relay.port(),
                        "GET " + late + " HTTP/1.1\r\nHost: relay\r\n\r\n");
                assertThat(busy.status()).isEqualTo(503);
                assertThat(busy.headers()).containsEntry("retry-after", "5");
                assertThat(busy.body()).contains("\"error\":\"relay_full\"");
                assertThat(metric(relay, "sserelay_subscribers_refused_total{reason=\"memory\"}")).isEqualTo(3);

                // Publishing is not a subscriber connection and goes on.
                assertThat(publish(relay, "/streams/held0", "to the held").statusCode()).isEqualTo(202);
            } finally {
                for (Socket socket : held) {
                    socket.close();
                }
            }
            // Once they leave, there is room again.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> metric(relay, "sserelay_connections_bytes") == 0);
            try (SseClient again = SseClient.connect(relay.url("/streams/late"))) {
                assertThat(publish(relay, "/streams/late", "welcome back").statusCode()).isEqualTo(202);
                assertThat(again.awaitEvents(1).data()).containsExactly("welcome back");
            }
        }
    }

    @Test
    void aSubscribersRequestHeadCountsAgainstTheBudgetBecauseItStaysOnTheHeap() throws Exception {
        try (RelayProcess relay = RelayProcess.start(Map.of("RELAY_CONNECTIONS_MAX_BYTES", "1Mi"), "128m")) {
            String cookie = "Cookie: session=" + "c".repeat(60 * 1024) + "\r\n";
            List<RawHttp> held = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    RawHttp connection = RawHttp.connect("127.0.0.1", relay.port(), Duration.ofSeconds(30));
                    connection.send("GET /streams/big HTTP/1.1\r\nHost: relay\r\n" + cookie + "\r\n");
                    assertThat(connection.readResponse(false).status()).isEqualTo(200);
                    held.add(connection);
                }
                assertThat(metric(relay, "sserelay_connections_bytes")).as("8 heads of 60 KiB, each counted twice")
                        .isGreaterThan(8 * 120 * 1024.0);
                RawHttp.Response refused = RawHttp.exchange("127.0.0.1", relay.port(),
                        "GET /streams/big HTTP/1.1\r\nHost: relay\r\n" + cookie + "\r\n");
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.body()).contains("\"error\":\"relay_full\"");
            } finally {
                held.forEach(RawHttp::close);
            }
        }
    }

    @Test
    void oneAddressMayHoldOnlySoManyConnections() throws Exception {
        try (RelayProcess relay = RelayProcess.start(Map.of("RELAY_MAX_CONNECTIONS_PER_ADDRESS", "3"))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    Socket socket = open(relay, "/streams/s" + i, false);
                    assertThat(readHead(socket)).startsWith("HTTP/1.1 200");
                    held.add(socket);
                }
                RawHttp.Response refused = RawHttp.exchange("127.0.0.1", relay.port(),
                        "GET /streams/s4 HTTP/1.1\r\nHost: relay\r\n\r\n");
                assertThat(refused.status()).isEqualTo(429);
                assertThat(refused.headers()).containsEntry("retry-after", "5");
                assertThat(refused.body()).contains("\"error\":\"too_many_connections\"").contains("127.0.0.1");
                held.remove(0).close();
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    try (Socket socket = open(relay, "/streams/s5", false)) {
                        return readHead(socket).startsWith("HTTP/1.1 200");
                    }
                });
            } finally {
                for (Socket socket : held) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void publishBodiesTogetherStayWithinTheirBudget() throws Exception {
        try (RelayProcess relay = RelayProcess.start(Map.of("RELAY_MAX_BATCH_BYTES", "256Ki",
                "RELAY_MAX_EVENT_BYTES", "256Ki", "RELAY_PUBLISH_MAX_PENDING_BYTES", "1Mi"), "128m");
                SseClient subscriber = SseClient.connect(relay.url("/streams/big"))) {
            int part = 250 * 1024;
            List<RawHttp> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    RawHttp publisher = RawHttp.connect("127.0.0.1", relay.port(), Duration.ofSeconds(30));
                    publisher.send("POST /streams/big HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + TestRelay.TOKEN
                            + "\r\nContent-Type: text/plain\r\nContent-Length: " + (part + 1) + "\r\n\r\n");
                    publisher.send("x".repeat(part));
                    stalled.add(publisher);
                }
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> metric(relay, "sserelay_publish_pending_bytes") == 4.0 * part);

                HttpResponse<String> refused = publish(relay, "/streams/big", "y".repeat(100 * 1024));
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(refused.body()).contains("\"error\":\"relay_busy\"");
                assertThat(publish(relay, "/streams/big", "small").statusCode()).as("a small one still fits")
                        .isEqualTo(202);
            } finally {
                stalled.forEach(RawHttp::close);
            }
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> metric(relay, "sserelay_publish_pending_bytes") == 0);
            assertThat(publish(relay, "/streams/big", "y".repeat(100 * 1024)).statusCode()).isEqualTo(202);
            subscriber.awaitEvents(2);
            assertThat(subscriber.data()).extracting(String::length).containsExactly(5, 100 * 1024);
        }
    }

    @Test
    void thePublicPortHoldsAtMostItsConnectionsAndAcceptsAgainWhenSomeClose() throws Exception {
        try (RelayProcess relay = RelayProcess.start(Map.of("RELAY_MAX_CONNECTIONS", "20"))) {
            List<RawHttp> connections = new ArrayList<>();
            try {
                for (int i = 0; i < 30; i++) {
                    RawHttp connection = RawHttp.connect("127.0.0.1", relay.port(), Duration.ofSeconds(30));
                    connection.send("GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n");
                    connections.add(connection);
                }
                // The kernel completes every connection; those past the limit wait, unaccepted, on
                // the listening socket.
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> acceptQueueLength(relay.port()) >= 10);
                int waiting = acceptQueueLength(relay.port());
                assertThat(waiting).as("at most 20 accepted, and they are answered").isBetween(10, 20);
                for (int i = 0; i < 30 - waiting; i++) {
                    assertThat(connections.get(i).readResponse().status()).isEqualTo(200);
                }
                for (int i = 0; i < 20; i++) {
                    connections.remove(0).close();
                }
                for (RawHttp connection : connections) {
                    assertThat(connection.readResponse().status()).as("accepted once others closed").isEqualTo(200);
                }
                assertThat(acceptQueueLength(relay.port())).isZero();
            } finally {
                connections.forEach(RawHttp::close);
            }
        }
    }

    /**
     * Connections the kernel has completed on the listening socket and the relay has not yet
     * accepted: for a listening socket, the receive-queue column of {@code /proc/net/tcp} (or
     * {@code tcp6}, where the JVM listens on 127.0.0.1 through an IPv6 socket).
     */
    private static int acceptQueueLength(int port) throws IOException {
        String[] locals = {String.format("0100007F:%04X", port),
                String.format("0000000000000000FFFF00000100007F:%04X", port)};
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 4 && List.of(locals).contains(fields[1]) && fields[3].equals("0A")) {
                    return Integer.parseInt(fields[4].substring(fields[4].indexOf(':') + 1), 16);
                }
            }
        }
        throw new AssertionError("no listening socket on 127.0.0.1:" + port + " in /proc/net/tcp or tcp6");
    }

    /** Opens and closes connections, each naming random streams, from a few threads at once. */
    private static void subscribeAndLeave(RelayProcess relay, int connections) throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 20261124L + t;
                done.add(pool.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    for (int i = 0; i < connections / threads; i++) {
                        StringBuilder query = new StringBuilder();
                        for (int s = 0; s < STREAMS_PER_CONNECTION; s++) {
                            query.append(s == 0 ? "" : "&").append("stream=r").append(Long.toString(random.nextLong(), 36));
                        }
                        try (Socket socket = open(relay, "/events?" + query, true)) {
                            String head = readHead(socket);
                            if (!head.startsWith("HTTP/1.1 200")) {
                                throw new AssertionError("subscription " + i + " was answered " + head);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Publishes one event to each of a million streams, u0 first; returns the id of u0's event. */
    private static String publishToDistinctStreams(RelayProcess relay) throws Exception {
        String first = null;
        for (int batch = 0; batch < EVENTS / BATCH; batch++) {
            StringBuilder body = new StringBuilder("[");
            for (int i = 0; i < BATCH; i++) {
                int n = batch * BATCH + i;
                body.append(i == 0 ? "" : ",").append("{\"stream\":\"u").append(n).append("\",\"data\":\"e").append(n)
                        .append("\"}");
            }
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(relay.url("/publish")))
                    .timeout(TestRelay.ANSWER_TIMEOUT)
                    .header("Authorization", "Bearer " + TestRelay.TOKEN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.append(']').toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            if (first == null) {
                first = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).path("ids").get(0)
                        .asText();
            }
        }
        return first;
    }

    private static HttpResponse<String> publish(RelayProcess relay, String path, String data) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(relay.url(path))).timeout(TestRelay.ANSWER_TIMEOUT)
                .header("Authorization", "Bearer " + TestRelay.TOKEN).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(data)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Socket open(RelayProcess relay, String target, boolean eventSourceAccept) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", relay.port()), 5000);
        socket.setSoTimeout(10_000);
        String request = "GET " + target + " HTTP/1.1\r\nHost: relay\r\n"
                + (eventSourceAccept ? "Accept: text/event-stream\r\n" : "") + "\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** Reads the response head and, for a stream that ends at once, what it says. */
    private static String readHead(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder text = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (text.indexOf("\r\n\r\n") < 0) {
            int read = in.read(buffer);
            if (read < 0) {
                break;
            }
            text.append(new String(buffer, 0, read, StandardCharsets.ISO_8859_1));
        }
        return text.toString();
    }

    private static String streams(String prefix) {
        StringBuilder query = new StringBuilder();
        for (int s = 0; s < STREAMS_PER_CONNECTION; s++) {
            query.append(s == 0 ? "" : "&").append("stream=").append(prefix).append('x').append(s);
        }
        return query.toString();
    }

    private static double metric(RelayProcess relay, String sample) {
        return Metrics.value(metricsText(relay), sample);
    }

    private static String metricsText(RelayProcess relay) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(relay.adminUrl("/metrics")))
                    .timeout(TestRelay.ANSWER_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The relay's live heap: what is still used after a full collection. */
    private static long liveHeap(RelayProcess relay) throws IOException, InterruptedException {
        jcmd(relay, "GC.run");
        String info = jcmd(relay, "GC.heap_info");
        Matcher used = Pattern.compile("used (\\d+)K").matcher(info);
        assertThat(used.find()).as(info).isTrue();
        return Long.parseLong(used.group(1)) * 1024;
    }

    private static String jcmd(RelayProcess relay, String command) throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process process = new ProcessBuilder(jcmd, Long.toString(relay.pid()), command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(out).isZero();
        return out;
    }
}
