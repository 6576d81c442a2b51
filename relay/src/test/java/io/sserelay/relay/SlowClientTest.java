package io.sserelay.relay;

import io.sserelay.relay.support.Metrics;
import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.RelayProcess;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that send their requests slowly, in part or not at all: none of them holds a thread,
 * so none can keep publishers or subscribers waiting, and each is answered and disconnected
 * once the request timeout passes.
 */
class SlowClientTest {

    private static final String HOST = "127.0.0.1";
    private static final int STALLED_EACH = 100;

    @Test
    void hundredsOfStalledRequestsHoldUpNoPublisherAndNoSubscriber() throws Exception {
        // Two workers: before bodies were read without a thread, two stalled publishes blocked every
        // publish and every new subscription. The timeout is long so the stalled requests are all
        // still open while the others are served.
        try (RelayProcess relay = RelayProcess.start(Map.of("RELAY_WORKER_THREADS", "2",
                "RELAY_REQUEST_TIMEOUT", "5m"))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (int i = 0; i < 20; i++) {
                publish(http, relay, "warm-up " + i); // start the workers, so they do not count as growth
            }
            double threadsBefore = metric(http, relay, "jvm_threads_live_threads");

            List<RawHttp> stalled = new ArrayList<>();
            for (int i = 0; i < STALLED_EACH; i++) {
                stalled.add(RawHttp.connect(HOST, relay.port(), Duration.ofSeconds(1)).send(
                        publishHead("Authorization: Bearer " + TestRelay.TOKEN + "\r\n", 1000) + "part of a body"));
                stalled.add(RawHttp.connect(HOST, relay.port(), Duration.ofSeconds(1)).send(
                        publishHead("", 1000) + "part of a body"));
                stalled.add(RawHttp.connect(HOST, relay.port(), Duration.ofSeconds(1)).send(
                        "POST /streams/stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"));
            }

            try (SseClient subscriber = SseClient.connect(relay.url("/streams/live"))) {
                await().until(() -> subscriber.lastEventId() != null);
                for (int i = 0; i < 20; i++) {
                    publish(http, relay, "event " + i);
                }
                subscriber.awaitEvents(20);
                assertThat(subscriber.data()).hasSize(20).startsWith("event 0").endsWith("event 19");
            }
            // Everything above was served while every stalled publish with a token was still open.
            List<RawHttp> withToken = new ArrayList<>();
            for (int i = 0; i < stalled.size(); i += 3) {
                withToken.add(stalled.get(i));
            }
            assertThat(withToken).allMatch(connection -> connection.isOpenAfter(Duration.ofMillis(10)));
            assertThat(metric(http, relay, "jvm_threads_live_threads"))
                    .as("live threads with %d stalled connections open", stalled.size())
                    .isLessThanOrEqualTo(threadsBefore + 4); // the JIT's compiler threads come and go
            stalled.forEach(RawHttp::close);
        }
    }

    @Test
    void aStalledBodyIsAnswered408AndDisconnectedAfterTheRequestTimeout() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_REQUEST_TIMEOUT", "500ms"));
             RawHttp client = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(30))) {
            client.send(publishHead("Authorization: Bearer " + TestRelay.TOKEN + "\r\n", 10) + "abc");
            RawHttp.Response response = client.readResponse();
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.headers()).containsEntry("content-type", "application/json")
                    .containsEntry("connection", "close");
            assertThat(response.body()).isEqualTo("{\"error\":\"request_timeout\",\"message\":\"event data did not"
                    + " arrive within 500 ms (3 bytes received); send the whole body at once\"}");
            assertThat(client.isClosedByServer()).isTrue();
            assertThat(relay.metric("sserelay_events_published_total")).isZero();
        }
    }

    @Test
    void aStalledChunkedBodyIsAnswered408AndDisconnectedAfterTheRequestTimeout() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_REQUEST_TIMEOUT", "500ms"));
             RawHttp client = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(30))) {
            client.send("POST /streams/stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestRelay.TOKEN
                    + "\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab");
            RawHttp.Response response = client.readResponse();
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.body()).isEqualTo("{\"error\":\"request_timeout\",\"message\":\"event data did not"
                    + " arrive within 500 ms (2 bytes received); send the whole body at once\"}");
            assertThat(client.isClosedByServer()).isTrue();
            assertThat(relay.metric("sserelay_events_published_total")).isZero();
        }
    }

    @Test
    void aClientThatNeverFinishesItsRequestHeadIsDisconnected() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_REQUEST_TIMEOUT", "500ms"));
             RawHttp client = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(1))) {
            client.send("GET /streams/a HTTP/1.1\r\nHost: 127.0.0.1\r\nAcce");
            await().atMost(Duration.ofSeconds(20)).until(client::isClosedByServer);
        }
    }

    @Test
    void expectContinueGetsA100ThenTheAnswer() {
        try (TestRelay relay = TestRelay.start();
             RawHttp client = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(30))) {
            client.send(publishHead("Authorization: Bearer " + TestRelay.TOKEN + "\r\nExpect: 100-continue\r\n", 5));
            assertThat(client.readResponse().status()).isEqualTo(100);
            client.send("hello");
            RawHttp.Response response = client.readResponse();
            assertThat(response.status()).isEqualTo(202);
            assertThat(response.body()).startsWith("{\"stream\":\"stalled\",\"id\":");
        }
    }

    @Test
    void expectContinueOnARefusedPublishGetsTheRefusalAtOnceAndNoBodyIsWaitedFor() {
        try (TestRelay relay = TestRelay.start();
             RawHttp client = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(30))) {
            client.send(publishHead("Expect: 100-continue\r\n", 5_000));
            RawHttp.Response response = client.readResponse();
            assertThat(response.status()).isEqualTo(401);
            assertThat(response.body()).contains("\"error\":\"missing_token\"");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void aChunkedBodyPastTheLimitIsRefused413AndNothingIsPublished() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_MAX_EVENT_BYTES", "1Ki"));
             RawHttp client = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(30))) {
            String chunk = Integer.toHexString(600) + "\r\n" + "x".repeat(600) + "\r\n";
            client.send("POST /streams/big HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestRelay.TOKEN
                    + "\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk);
            RawHttp.Response response = client.readResponse();
            assertThat(response.status()).isEqualTo(413);
            assertThat(response.body()).isEqualTo("{\"error\":\"event_too_large\",\"message\":\"event data is larger"
                    + " than the limit of 1024 bytes\"}");
            assertThat(client.isClosedByServer()).isTrue();
            assertThat(relay.metric("sserelay_events_published_total")).isZero();
        }
    }

    @Test
    void aClientThatHangsUpMidBodyPublishesNothing() {
        try (TestRelay relay = TestRelay.start()) {
            try (RawHttp client = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(1))) {
                client.send(publishHead("Authorization: Bearer " + TestRelay.TOKEN + "\r\n", 100) + "only some");
            }
            relay.publish("after", "the relay still publishes");
            assertThat(relay.metric("sserelay_events_published_total")).isEqualTo(1);
        }
    }

    @Test
    void onlyConnectionsThatSendAndReceiveNothingAreClosedAsIdle() {
        Duration idle = Duration.ofSeconds(1);
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_IDLE_TIMEOUT", "1s", "RELAY_HEARTBEAT", "200ms"));
                RawHttp publisher = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(10));
                SseClient subscriber = relay.subscribe("/streams/stalled")) {
            // A keep-alive publisher busy for several idle timeouts keeps its connection: its
            // answers come from worker threads, which once let a timer close it mid-request.
            long end = System.nanoTime() + idle.multipliedBy(4).toNanos();
            int published = 0;
            while (System.nanoTime() < end) {
                publisher.send(publishHead("Authorization: Bearer " + TestRelay.TOKEN + "\r\n", 5) + "event");
                assertThat(publisher.readResponse().status()).as("publish %d", published).isEqualTo(202);
                published++;
            }
            // A stream quiet for as long keeps its connection too: heartbeats are traffic.
            assertThat(subscriber.awaitEvents(published).ended()).isFalse();

            // A connection that goes quiet is closed after the idle timeout.
            RawHttp quiet = RawHttp.connect(HOST, port(relay), Duration.ofSeconds(10));
            quiet.send("GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n");
            assertThat(quiet.readResponse().status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(quiet::isClosedByServer);
            quiet.close();
            assertThat(subscriber.ended()).isFalse();
        }
    }

    private static String publishHead(String extraHeaders, int contentLength) {
        return "POST /streams/stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n" + extraHeaders
                + "Content-Length: " + contentLength + "\r\n\r\n";
    }

    private static int port(TestRelay relay) {
        return relay.relay().address().getPort();
    }

    private static void publish(HttpClient http, RelayProcess relay, String data) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(relay.url("/streams/live")))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + TestRelay.TOKEN)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(data)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    }

    private static double metric(HttpClient http, RelayProcess relay, String sample) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(relay.adminUrl("/metrics")))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        return Metrics.value(response.body(), sample);
    }
}
