package io.sserelay.relay;

import io.sserelay.relay.support.RelayProcess;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** SIGTERM: stop taking work, deliver everything accepted, tell subscribers to reconnect. */
class GracefulShutdownTest {

    @Test
    void onSigtermEverySubscriberGetsAllAcceptedEventsThenTheSignalToReconnect() {
        int events = 600;
        try (RelayProcess relay = RelayProcess.start(Map.of("RELAY_SHUTDOWN_RETRY", "1s", "RELAY_DRAIN_TIMEOUT", "10s"))) {
            List<SseClient> subscribers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                subscribers.add(SseClient.connect(relay.url("/streams/news"), Map.of(), true));
            }
            subscribers.forEach(s -> await().until(() -> s.lastEventId() != null));
            for (int batch = 0; batch < events / 100; batch++) {
                int first = batch * 100;
                String body = IntStream.range(first, first + 100)
                        .mapToObj(i -> "{\"stream\":\"news\",\"data\":\"" + i + "\"}")
                        .collect(Collectors.joining(",", "[", "]"));
                HttpResponse<String> response = TestRelay.send(HttpRequest.newBuilder(URI.create(relay.url("/publish")))
                        .header("Authorization", "Bearer " + TestRelay.TOKEN).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
                assertThat(response.statusCode()).isEqualTo(202);
            }

            relay.terminate();

            for (SseClient subscriber : subscribers) {
                subscriber.awaitEnded();
                assertThat(subscriber.failure()).as("stream ended cleanly").isNull();
                assertThat(subscriber.data()).containsExactlyElementsOf(
                        IntStream.range(0, events).mapToObj(Integer::toString).toList());
                List<SseFrame> frames = subscriber.frames();
                SseFrame notice = frames.get(frames.size() - 2);
                SseFrame retry = frames.get(frames.size() - 1);
                assertThat(notice.comments()).containsExactly("relay shutting down; reconnect to resume");
                assertThat(Integer.parseInt(retry.retry())).isBetween(1000, 2000);
                subscriber.close();
            }
            assertThat(relay.awaitExit()).as("exit status after SIGTERM").isEqualTo(143);
            assertThat(relay.output()).contains("shutting down: draining 3 subscriber connection(s)", "stopped");
        }
    }

    /**
     * While a relay drains (here held open by a subscriber whose socket is full), it reports
     * not ready, refuses publishes with 503, and sends new subscribers straight on, since a
     * browser gives up for good on a 503 but reconnects after a stream ends.
     */
    @Test
    void whileDrainingItIsNotReadyRefusesPublishesAndSendsNewSubscribersElsewhere() throws IOException {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_SUBSCRIBER_BUFFER_BYTES", "64Mi",
                "RELAY_DRAIN_TIMEOUT", "1m", "RELAY_SHUTDOWN_RETRY", "500ms"));
             Socket stalled = SlowSubscriberTest.neverReadingSubscriber(relay, "/streams/s")) {
            await().until(() -> relay.metric("sserelay_connections") == 1);
            String payload = "z".repeat(60_000);
            for (int i = 0; i < 150; i++) {
                relay.publish("s", payload);
            }
            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(relay::close);
            await().until(() -> relay.get("/readyz", Map.of()).statusCode() == 503);
            assertThat(relay.get("/readyz", Map.of()).body()).isEqualTo("{\"status\":\"draining\"}");
            assertThat(relay.metric("sserelay_ready")).isZero(); // what an alert sees

            HttpResponse<String> publish = relay.post("/streams/s", "text/plain", "late", Map.of());
            assertThat(publish.statusCode()).isEqualTo(503);
            assertThat(publish.body()).isEqualTo(BadInputTest.error("shutting_down",
                    "the relay is shutting down; retry on another replica"));

            try (SseClient late = relay.subscribe("/streams/s")) {
                late.awaitEnded();
                assertThat(late.status()).isEqualTo(200);
                assertThat(late.frames()).as("it keeps whatever id it has, and comes back with it")
                        .extracting(SseFrame::retry, SseFrame::id)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("500", null));
            }
            stalled.close();
            await().until(shutdown::isDone);
        }
    }
}
