package io.sserelay.relay;

import com.fasterxml.jackson.databind.JsonNode;

import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Publishing and subscribing over real sockets with a real HTTP client. */
class PublishSubscribeTest {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private TestRelay relay;

    @BeforeEach
    void start() {
        relay = TestRelay.start();
    }

    @AfterEach
    void stop() {
        relay.close();
    }

    @Test
    void aSubscriberReceivesWhatIsPublishedToItsStreamAndNothingElse() {
        try (SseClient orders = relay.subscribe("/streams/orders")) {
            awaitSubscribed(1);
            String first = relay.publish("orders", "one");
            relay.publish("other", "not for orders");
            String second = relay.publish("orders", "two");
            orders.awaitEvents(2);
            assertThat(orders.data()).containsExactly("one", "two");
            assertThat(orders.events()).extracting(SseFrame::id).containsExactly(first, second);
        }
    }

    @Test
    void theStreamStartsWithRetryThenThePositionAndHasTheSseHeaders() {
        try (SseClient client = relay.subscribe("/streams/orders")) {
            assertThat(client.status()).isEqualTo(200);
            assertThat(client.response().headers().firstValue("Content-Type")).hasValue("text/event-stream");
            assertThat(client.response().headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(client.response().headers().firstValue("X-Accel-Buffering")).hasValue("no");
            // An endless response is its connection's last; a client reconnecting after the relay
            // ends it (when it shuts down) opens a new connection, which can reach another replica.
            assertThat(client.response().headers().allValues("Connection")).containsExactly("close");
            awaitSubscribed(1);
            assertThat(client.frames().get(0).retry()).isEqualTo("2000");
            await().until(() -> client.frames().size() >= 2);
            assertThat(client.frames().get(1).id()).as("a stream without events: its start").isEqualTo("0");
            assertThat(client.frames().get(1).isEvent()).isFalse();
        }
    }

    @Test
    void aStreamIsCloseDelimitedWithoutChunkFramingAsMeasuredInS1() throws Exception {
        try (RawHttp http = RawHttp.connect("127.0.0.1", relay.relay().address().getPort(), Duration.ofSeconds(10))) {
            http.send("GET /streams/orders HTTP/1.1\r\nHost: relay\r\nAccept: text/event-stream\r\n\r\n");
            String head = http.readResponseHead().toLowerCase(java.util.Locale.ROOT);
            assertThat(head).startsWith("http/1.1 200").contains("\r\nconnection: close\r\n")
                    .doesNotContain("transfer-encoding").doesNotContain("content-length");
            // The body is the event stream itself, with no chunk size lines (docs/performance.md, S1).
            assertThat(http.readBytes("retry: 2000\n".length())).isEqualTo("retry: 2000\n");
        }
    }

    @Test
    void oneConnectionCarriesSeveralStreamsTypingUntypedEventsWithTheirStream() {
        try (SseClient client = relay.subscribe("/events?stream=orders&stream=alerts")) {
            awaitSubscribed(1);
            relay.publish("orders", "o1");
            relay.publish("alerts", "a1");
            relay.publish("ignored", "x");
            HttpResponse<String> typed = relay.post("/streams/orders", "application/json",
                    "{\"event\":\"created\",\"data\":{\"id\":7}}", Map.of());
            assertThat(typed.statusCode()).isEqualTo(202);
            client.awaitEvents(3);
            assertThat(client.events()).extracting(SseFrame::type, SseFrame::data).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("orders", "o1"),
                    org.assertj.core.groups.Tuple.tuple("alerts", "a1"),
                    org.assertj.core.groups.Tuple.tuple("created", "{\"id\":7}"));
        }
    }

    /** The documented rule: a string is the data; any other JSON value is sent as compact JSON, numbers as written. */
    @Test
    void jsonDataIsSentAsCompactJsonWithEveryNumberExactlyAsWritten() {
        try (SseClient client = relay.subscribe("/streams/values")) {
            awaitSubscribed(1);
            List<String> bodies = List.of("{\"data\": 1e999999}", "{\"data\": 12.50}", "{\"data\": -0}",
                    "{\"data\": 123456789012345678901234567890}", "{\"data\": null}", "{\"data\": true}",
                    "{\"data\": { \"price\" : 1.10E+3, \"tags\": [ \"a\" , null ] }}", "{\"data\": \"plain text\"}");
            for (String body : bodies) {
                HttpResponse<String> response = relay.post("/streams/values", "application/json", body, Map.of());
                assertThat(response.statusCode()).as(body).isEqualTo(202);
            }
            client.awaitEvents(bodies.size());
            assertThat(client.data()).containsExactly("1e999999", "12.50", "-0", "123456789012345678901234567890",
                    "null", "true", "{\"price\":1.10E+3,\"tags\":[\"a\",null]}", "plain text");
        }
    }

    @Test
    void aBatchIsPublishedInOrderInEachStreamAndAnsweredWithItsIds() throws Exception {
        try (SseClient a = relay.subscribe("/streams/a"); SseClient both = relay.subscribe("/events?stream=a&stream=b")) {
            awaitSubscribed(2);
            HttpResponse<String> response = relay.post("/publish", "application/json",
                    "[{\"stream\":\"a\",\"data\":\"1\"},{\"stream\":\"b\",\"event\":\"t\",\"data\":\"2\"},"
                            + "{\"stream\":\"a\",\"data\":[3]}]", Map.of());
            assertThat(response.statusCode()).isEqualTo(202);
            JsonNode ids = JSON.readTree(response.body()).path("ids");
            assertThat(ids).hasSize(3);
            a.awaitEvents(2);
            both.awaitEvents(3);
            assertThat(a.data()).containsExactly("1", "[3]");
            assertThat(a.events()).extracting(SseFrame::id).as("each event's id, as the answer gave it")
                    .containsExactly(ids.get(0).asText(), ids.get(2).asText());
            // Each stream's events in the batch's order; streams are numbered each by its own relay.
            assertThat(both.data()).containsExactlyInAnyOrder("1", "2", "[3]");
            assertThat(both.events().stream().filter(e -> e.type().equals("a")).map(SseFrame::data).toList())
                    .containsExactly("1", "[3]");
            assertThat(both.events()).extracting(SseFrame::type).containsExactlyInAnyOrder("a", "t", "a");
        }
    }

    @Test
    void textEventsTakeTheirTypeFromTheQueryAndSplitLinesOnLfCrAndCrlf() {
        try (SseClient client = relay.subscribe("/streams/log")) {
            awaitSubscribed(1);
            HttpResponse<String> response = relay.post("/streams/log?event=line", "text/plain; charset=utf-8",
                    "first\nsecond\rthird\r\nfourth", Map.of());
            assertThat(response.statusCode()).isEqualTo(202);
            client.awaitEvents(1);
            SseFrame event = client.events().get(0);
            assertThat(event.type()).isEqualTo("line");
            assertThat(event.data()).isEqualTo("first\nsecond\nthird\nfourth");
        }
    }

    @Test
    void curlsDefaultFormContentTypeIsTakenAsVerbatimText() {
        try (SseClient client = relay.subscribe("/streams/s")) {
            awaitSubscribed(1);
            HttpResponse<String> response = relay.post("/streams/s", "application/x-www-form-urlencoded",
                    "a=1&b=%20", Map.of());
            assertThat(response.statusCode()).isEqualTo(202);
            client.awaitEvents(1);
            assertThat(client.data()).containsExactly("a=1&b=%20");
        }
    }

    @Test
    void everySubscriberOfAStreamGetsEveryEventInPublishOrder() {
        int subscribers = 20;
        int events = 200;
        SseClient[] clients = new SseClient[subscribers];
        try {
            for (int i = 0; i < subscribers; i++) {
                clients[i] = relay.subscribe("/streams/fan");
            }
            awaitSubscribed(subscribers);
            for (int i = 0; i < events; i++) {
                relay.publish("fan", Integer.toString(i));
            }
            for (SseClient client : clients) {
                client.awaitEvents(events);
                assertThat(client.data()).containsExactlyElementsOf(
                        java.util.stream.IntStream.range(0, events).mapToObj(Integer::toString).toList());
            }
            assertThat(relay.metric("sserelay_events_published_total")).isEqualTo(events);
        } finally {
            for (SseClient client : clients) {
                if (client != null) {
                    client.close();
                }
            }
        }
    }

    /**
     * Chunk extensions and trailers are allowed and ignored: the event is the chunks' data. The
     * chunks are sent once the relay reads the body (it answered 100 Continue), one at a time.
     */
    @Test
    void aChunkedBodyWithExtensionsAndTrailersSentPieceByPieceIsPublishedOnce() {
        try (SseClient orders = relay.subscribe("/streams/orders");
             RawHttp client = RawHttp.connect("127.0.0.1", relay.relay().address().getPort(), Duration.ofSeconds(30))) {
            awaitSubscribed(1);
            String head = chunkedPublish("orders", "");
            client.send(head.substring(0, head.length() - 2) + "Expect: 100-continue\r\n\r\n");
            assertThat(client.readResponse().status()).isEqualTo(100);
            client.send("5;ext=1\r\nhello\r\n");
            client.send("7 ; a ; b=\"c\"\r\n, world\r\n");
            client.send("0;last\r\nChecksum: 1234\r\n\r\n");
            RawHttp.Response response = client.readResponse();
            assertThat(response.status()).isEqualTo(202);
            orders.awaitEvents(1);
            assertThat(orders.data()).containsExactly("hello, world");
            assertThat(relay.metric("sserelay_events_published_total")).isEqualTo(1);
        }
    }

    /** What follows a chunked body on a connection is the next request, whether it came with the body or later. */
    @Test
    void chunkedPublishesPipelinedOnOneKeepAliveConnectionAreEachAnswered() {
        try (SseClient orders = relay.subscribe("/streams/orders");
             RawHttp client = RawHttp.connect("127.0.0.1", relay.relay().address().getPort(), Duration.ofSeconds(30))) {
            awaitSubscribed(1);
            client.send(chunkedPublish("orders", "3\r\none\r\n0\r\n\r\n")
                    + chunkedPublish("orders", "1\r\nt\r\n2\r\nwo\r\n0\r\n\r\n"));
            RawHttp.Response first = client.readResponse();
            RawHttp.Response second = client.readResponse();
            client.send(chunkedPublish("orders", "5\r\nthree\r\n0\r\n\r\n"));
            RawHttp.Response third = client.readResponse();

            assertThat(List.of(first, second, third)).extracting(RawHttp.Response::status).containsExactly(202, 202, 202);
            orders.awaitEvents(3);
            assertThat(orders.data()).containsExactly("one", "two", "three");
            assertThat(client.isOpenAfter(Duration.ofMillis(100))).isTrue();
        }
    }

    @Test
    void servesHealthReadinessMetricsAndTheLivePage() {
        assertThat(relay.get("/healthz", Map.of()).body()).isEqualTo("{\"status\":\"ok\"}");
        assertThat(relay.get("/readyz", Map.of()).statusCode()).isEqualTo(200);
        assertThat(relay.request("HEAD", "/healthz", null, null, Map.of()).statusCode()).isEqualTo(200);
        HttpResponse<String> page = relay.get("/", Map.of());
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.body()).contains("<title>SSE relay</title>", "fetch('/streams/'");
        String metrics = relay.metrics();
        assertThat(metrics).contains("sserelay_connections ", "sserelay_events_published_total ",
                "sserelay_events_delivered_total ", "sserelay_bytes_written_total ",
                "sserelay_subscribers_disconnected_total{reason=\"backlog\"} ",
                "sserelay_publish_to_write_seconds_bucket", "sserelay_history_events ", "sserelay_history_bytes ",
                "jvm_memory_used_bytes");
    }

    private static String chunkedPublish(String stream, String chunkedBody) {
        return "POST /streams/" + stream + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestRelay.TOKEN
                + "\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody;
    }

    private void awaitSubscribed(int connections) {
        org.awaitility.Awaitility.await().until(() -> relay.metric("sserelay_connections") == connections);
    }
}
