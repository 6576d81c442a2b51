package io.sserelay.relay;

import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A subscriber that stops reading is cut off; nobody else notices, and memory stays bounded. */
class SlowSubscriberTest {

    private static final int EVENT_BYTES = 60_000;

    @Test
    void aClientThatNeverReadsIsDisconnectedWhileOthersGetEverythingAndTheHeapStaysBounded() throws IOException {
        int events = 2000; // 120 MB through the relay, 8 times the history and buffer limits together
        try (TestRelay relay = TestRelay.start(Map.of(
                "RELAY_SUBSCRIBER_BUFFER_BYTES", "1Mi",
                "RELAY_HISTORY_MAX_BYTES", "4Mi",
                "RELAY_WRITE_TIMEOUT", "1h"));
             Socket stalled = neverReadingSubscriber(relay, "/streams/big");
             SseClient reader = SseClient.connect(relay.url("/streams/big"), Map.of(), false)) {
            await().until(() -> relay.metric("sserelay_connections") == 2);
            long heapBefore = usedHeapAfterGc();
            String payload = "x".repeat(EVENT_BYTES);
            String lastId = null;
            for (int i = 1; i <= events; i++) {
                lastId = relay.publish("big", payload);
                if (i % 16 == 0) {
                    int published = i;
                    await().pollInterval(Duration.ofMillis(2)).until(() -> reader.eventCount() >= published);
                }
            }
            reader.awaitEvents(events);
            await().until(() -> relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}") == 1);
            long heapAfter = usedHeapAfterGc();

            System.out.printf("heap growth after %d MB published: %.1f MiB%n", events * (long) EVENT_BYTES / 1_000_000,
                    (heapAfter - heapBefore) / 1048576.0);
            assertThat(reader.eventCount()).isEqualTo(events);
            assertThat(reader.lastEventId()).isEqualTo(lastId);
            assertThat(reader.ended()).isFalse();
            assertThat(relay.metric("sserelay_connections")).isEqualTo(1);
            assertThat(relay.metric("sserelay_history_bytes")).isLessThanOrEqualTo(4 << 20);
            // History (4 MiB) plus one subscriber buffer (1 MiB) plus slack for the JVM's own churn.
            assertThat(heapAfter - heapBefore).as("heap growth in bytes").isLessThan(48L << 20);
        }
    }

    @Test
    void manySlowClientsTogetherHoldNoMoreThanTheQueuesBudget() throws IOException {
        int events = 2000;
        long budget = 8L << 20;
        try (TestRelay relay = TestRelay.start(Map.of(
                "RELAY_SUBSCRIBER_BUFFER_BYTES", "8Mi", // alone, each slow client could hold 8 MiB
                "RELAY_SUBSCRIBER_QUEUES_MAX_BYTES", "8Mi", // together they may hold as much
                "RELAY_HISTORY_MAX_BYTES", "4Mi",
                "RELAY_WRITE_TIMEOUT", "1h"));
             SseClient reader = SseClient.connect(relay.url("/streams/big"), Map.of(), false)) {
            List<Socket> stalled = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    stalled.add(neverReadingSubscriber(relay, "/streams/big"));
                }
                await().until(() -> relay.metric("sserelay_connections") == 7);
                String payload = "x".repeat(EVENT_BYTES);
                double mostHeld = 0;
                for (int i = 1; i <= events; i++) {
                    relay.publish("big", payload);
                    if (i % 16 == 0) {
                        int published = i;
                        await().pollInterval(Duration.ofMillis(2)).until(() -> reader.eventCount() >= published);
                        mostHeld = Math.max(mostHeld, relay.metric("sserelay_subscriber_queues_bytes"));
                    }
                }
                reader.awaitEvents(events);
                await().until(() -> relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}") == 6);
                assertThat(reader.eventCount()).isEqualTo(events);
                assertThat(reader.ended()).isFalse();
                // Past the budget only those over their share are refused, so the sum may pass it
                // by the entries of those under their share: a few frames.
                assertThat(mostHeld).as("unsent bytes of all connections, sampled").isLessThan(budget + (1 << 20));
                await().until(() -> relay.metric("sserelay_subscriber_queues_bytes") == 0);
            } finally {
                for (Socket socket : stalled) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void aBurstToManySubscribersSharesItsFramesWithinTheQueuesBudget() {
        int subscribers = 100;
        int events = 500;
        // Each subscriber queues 500 events of 2 KB: 1 MB each, 100 MB if every queue counted the
        // frames it shares. The queues share each frame with the history, so they hold 500 entries
        // each: 1.6 MB together, within the budget of 4 MiB.
        try (TestRelay relay = TestRelay.start(Map.of(
                "RELAY_SUBSCRIBER_BUFFER_BYTES", "2Mi",
                "RELAY_SUBSCRIBER_QUEUES_MAX_BYTES", "4Mi",
                "RELAY_HISTORY_MAX_EVENTS", "1000"))) {
            List<SseClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < subscribers; i++) {
                    clients.add(SseClient.connect(relay.url("/streams/burst"), Map.of(), false));
                }
                await().until(() -> relay.metric("sserelay_connections") == subscribers);
                String data = "y".repeat(2000);
                StringBuilder batch = new StringBuilder("[");
                for (int i = 0; i < events; i++) {
                    batch.append(i == 0 ? "" : ",").append("{\"stream\":\"burst\",\"data\":\"").append(data).append("\"}");
                }
                HttpResponse<String> published = relay.post("/publish", "application/json", batch.append(']').toString(),
                        Map.of());
                assertThat(published.statusCode()).isEqualTo(202);
                for (SseClient client : clients) {
                    client.awaitEvents(events);
                    assertThat(client.ended()).isFalse();
                }
                assertThat(relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}")).isZero();
                await().until(() -> relay.metric("sserelay_subscriber_queues_bytes") == 0);
            } finally {
                clients.forEach(SseClient::close);
            }
        }
    }

    @Test
    void aSlowClientStillHoldingEventsTheHistoryDroppedIsClosedWhileOthersGetEverything() throws IOException {
        int events = 2000;
        // Its buffer alone would let it hold 64 MiB of frames it shares with the history (10 events),
        // which soon lets go of them: then only its queue keeps them, and it is closed as slow once
        // its oldest queued event has waited 10 s.
        try (TestRelay relay = TestRelay.start(Map.of(
                "RELAY_SUBSCRIBER_BUFFER_BYTES", "64Mi",
                "RELAY_SUBSCRIBER_QUEUES_MAX_BYTES", "64Mi",
                "RELAY_HISTORY_MAX_EVENTS", "10",
                "RELAY_WRITE_TIMEOUT", "1h"));
             Socket stalled = neverReadingSubscriber(relay, "/streams/far");
             SseClient reader = SseClient.connect(relay.url("/streams/far"), Map.of(), false)) {
            await().until(() -> relay.metric("sserelay_connections") == 2);
            String payload = "z".repeat(4000); // 8 MB in all: more than both ends' socket buffers hold
            for (int i = 1; i <= events; i++) {
                relay.publish("far", payload);
            }
            reader.awaitEvents(events);
            // Closed once its oldest queued event has waited 10 s.
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}") == 1);
            assertThat(reader.ended()).isFalse();
            assertThat(relay.metric("sserelay_connections")).isEqualTo(1);
            await().until(() -> relay.metric("sserelay_subscriber_queues_bytes") == 0);
        }
    }

    @Test
    void aClientWhoseSocketTakesNothingIsClosedAfterTheWriteTimeout() throws IOException {
        try (TestRelay relay = TestRelay.start(Map.of(
                "RELAY_SUBSCRIBER_BUFFER_BYTES", "256Mi",
                "RELAY_HISTORY_MAX_BYTES", "4Mi",
                "RELAY_WRITE_TIMEOUT", "300ms"));
             Socket stalled = neverReadingSubscriber(relay, "/streams/stuck")) {
            await().until(() -> relay.metric("sserelay_connections") == 1);
            String payload = "y".repeat(EVENT_BYTES);
            // Fill the kernel's socket buffers on both ends, so writes stop making progress; keep
            // publishing while waiting in case the kernel grew the buffers further.
            for (int i = 0; i < 150; i++) {
                relay.publish("stuck", payload);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                relay.publish("stuck", payload);
                return relay.metric("sserelay_subscribers_disconnected_total{reason=\"stalled\"}") == 1;
            });
            assertThat(relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}")).isZero();
            await().until(() -> relay.metric("sserelay_connections") == 0);
        }
    }

    /** An event whose frame outgrows the buffer (data of line breaks) still reaches an idle subscriber. */
    @Test
    void oneFrameLargerThanTheBufferStillReachesAnIdleSubscriber() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_MAX_EVENT_BYTES", "4Ki",
                "RELAY_SUBSCRIBER_BUFFER_BYTES", "4Ki"));
             SseClient client = relay.subscribe("/streams/lines")) {
            await().until(() -> client.lastEventId() != null);
            String lines = "\n".repeat(4096); // each line costs "data: " on the wire: a 28 KiB frame
            relay.publish("lines", lines);
            client.awaitEvents(1);
            assertThat(client.data()).containsExactly(lines);
            assertThat(relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}")).isZero();
        }
    }

    /**
     * A catch-up is allowed beyond the buffer (it shares the history's memory) while live events
     * count against it. Both are accounted at once here, from the publishing thread and the IO
     * thread: a reading subscriber must get everything, in order, and never be cut off as slow.
     * The first live events are published at once, while the catch-up is still being written;
     * after them the publisher stays at most that many live events (32 KB, half the buffer) ahead
     * of what the subscriber has read, since a subscriber further behind on live events than its
     * buffer is slow by the relay's definition, whatever it has read.
     */
    @Test
    void aCatchUpLargerThanTheBufferOverlappingLiveEventsKeepsAReadingSubscriber() {
        int history = 500;
        int live = 500;
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_SUBSCRIBER_BUFFER_BYTES", "64Ki",
                "RELAY_MAX_EVENT_BYTES", "4Ki", "RELAY_HISTORY_MAX_EVENTS", "10000"))) {
            String payload = "c".repeat(4000);
            String first = relay.publish("mixed", "0");
            for (int i = 1; i < history; i++) {
                relay.publish("mixed", i + payload); // 2 MB of catch-up: 30 times the buffer
            }
            try (SseClient client = relay.subscribe("/streams/mixed", Map.of("Last-Event-ID", first))) {
                int ahead = 8;
                for (int i = history; i < history + live; i++) {
                    int published = i - history;
                    if (published >= ahead) {
                        int read = history - 1 + published - ahead; // the catch-up, then all but the last few live
                        await().pollInterval(Duration.ofMillis(2)).until(() -> client.eventCount() >= read);
                    }
                    relay.publish("mixed", i + payload);
                }
                try {
                    client.awaitEvents(history - 1 + live);
                } catch (RuntimeException e) {
                    throw new AssertionError("the subscriber got " + client.eventCount() + " events; ended: "
                            + client.ended() + ", cut off as slow: "
                            + relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}"), e);
                }
                assertThat(client.data()).extracting(data -> Integer.parseInt(data.substring(0, data.indexOf('c'))))
                        .containsExactlyElementsOf(java.util.stream.IntStream.range(1, history + live).boxed().toList());
                assertThat(client.ended()).isFalse();
                assertThat(relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}")).isZero();
            }
        }
    }

    /**
     * Events committed together reach a subscriber that keeps up as one queue entry, which its
     * socket may take in any number of pieces: a frame cut anywhere, or a write that ends between
     * two frames of one entry. A subscriber whose socket takes little at a time, and that reads
     * only once batches have piled up behind a full socket, must still get every event whole and
     * in order, and counted once each.
     */
    @Test
    void batchesOfEventsReachASubscriberWhoseSocketTakesThemInPiecesWholeAndInOrder() throws IOException {
        int batches = 40;
        int perBatch = 50;
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_SUBSCRIBER_BUFFER_BYTES", "64Mi",
                "RELAY_HISTORY_MAX_EVENTS", "10000", "RELAY_WRITE_TIMEOUT", "1h"));
             Socket subscriber = neverReadingSubscriber(relay, "/streams/pieces")) {
            await().until(() -> relay.metric("sserelay_connections") == 1);
            // Varying sizes, so that the socket fills at a different place in each batch.
            for (int batch = 0; batch < batches; batch++) {
                StringBuilder body = new StringBuilder("[");
                for (int i = 0; i < perBatch; i++) {
                    int n = batch * perBatch + i;
                    body.append(i == 0 ? "" : ",").append("{\"stream\":\"pieces\",\"data\":\"")
                            .append(n).append(' ').append("p".repeat(1 + n * 7919 % 3000)).append("\"}");
                }
                HttpResponse<String> published = relay.post("/publish", "application/json", body.append(']').toString(),
                        Map.of());
                assertThat(published.statusCode()).as(published.body()).isEqualTo(202);
            }
            await().until(() -> relay.metric("sserelay_subscriber_queues_bytes") > 0); // piled up behind the socket
            List<String> data = readEvents(subscriber, batches * perBatch);
            assertThat(data).hasSize(batches * perBatch);
            for (int n = 0; n < data.size(); n++) {
                assertThat(data.get(n)).isEqualTo(n + " " + "p".repeat(1 + n * 7919 % 3000));
            }
            await().until(() -> relay.metric("sserelay_events_delivered_total") == batches * perBatch);
            assertThat(relay.metric("sserelay_subscribers_disconnected_total{reason=\"backlog\"}")).isZero();
        }
    }

    /** Reads a raw subscriber's response until it holds {@code count} events; their data, in order. */
    private static List<String> readEvents(Socket socket, int count) throws IOException {
        socket.setSoTimeout(30_000);
        java.io.BufferedReader lines = new java.io.BufferedReader(
                new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while (!(line = lines.readLine()).isEmpty()) {
            // the response's status line and headers
        }
        List<String> data = new ArrayList<>();
        StringBuilder event = null;
        while (data.size() < count && (line = lines.readLine()) != null) {
            if (line.startsWith("data: ")) {
                event = event == null ? new StringBuilder(line.substring(6)) : event.append('\n').append(line.substring(6));
            } else if (line.isEmpty() && event != null) {
                data.add(event.toString());
                event = null;
            }
        }
        return data;
    }

    /** A raw socket with a tiny receive buffer that sends a subscribe request and never reads. */
    static Socket neverReadingSubscriber(TestRelay relay, String path) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        int port = relay.relay().address().getPort();
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private static long usedHeapAfterGc() {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least;
    }
}
