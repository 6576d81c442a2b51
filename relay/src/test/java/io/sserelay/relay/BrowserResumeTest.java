package io.sserelay.relay;

import com.fasterxml.jackson.databind.JsonNode;
import io.sserelay.relay.support.BrowserPage;
import io.sserelay.relay.support.HeadlessChromium;
import io.sserelay.relay.support.Metrics;
import io.sserelay.relay.support.RelayProcess;
import io.sserelay.relay.support.TcpProxy;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real browser's EventSource against real relay processes. The browser reaches the relays
 * through a TCP proxy the test can cut, so the test decides exactly when the browser is away
 * and what is published meanwhile; reconnecting and resuming is left to the browser itself.
 */
class BrowserResumeTest {

    @Test
    void chromiumsOwnReconnectResumesWithoutGapOrDuplicateAcrossDropsAndRelayRestarts() {
        try (BrowserPage page = new BrowserPage("/browser/resume.html")) {
            Map<String, String> env = Map.of("RELAY_CORS_ALLOWED_ORIGINS", page.origin(), "RELAY_RETRY", "300ms",
                    "RELAY_SHUTDOWN_RETRY", "300ms");
            RelayProcess first = RelayProcess.start(env);
            try (TcpProxy proxy = new TcpProxy(first.port());
                 HeadlessChromium browser = HeadlessChromium.open(page.origin() + "/page.html?relay=http://127.0.0.1:"
                         + proxy.port())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> metric(first, "sserelay_connections") == 1);

                // The first relay sends the browser nothing but its position (an id without data)
                // and restarts. Events published to the new relay before the browser is back are
                // replayed to it only if the browser kept that id and sends it as Last-Event-ID.
                first.terminate();
                assertThat(first.awaitExit()).isEqualTo(143);
                proxy.pause();
                try (RelayProcess second = RelayProcess.start(env)) {
                    publish(second, 1, 5);
                    proxy.resume(second.port());
                    awaitMessages(page, 5);
                    assertThat(metric(second, "sserelay_events_replayed_total")).isEqualTo(5);

                    // Live delivery.
                    publish(second, 6, 10);
                    awaitMessages(page, 10);

                    // The browser drops off; what is published meanwhile comes back on reconnect.
                    proxy.pause();
                    await().until(() -> metric(second, "sserelay_connections") == 0);
                    publish(second, 11, 15);
                    proxy.resume(second.port());
                    awaitMessages(page, 15);
                    assertThat(metric(second, "sserelay_events_replayed_total")).isEqualTo(10);

                    // The relay restarts again, with events the browser has seen this time.
                    second.terminate();
                    assertThat(second.awaitExit()).isEqualTo(143);
                }
                proxy.pause();
                try (RelayProcess third = RelayProcess.start(env)) {
                    publish(third, 16, 20);
                    proxy.resume(third.port());
                    awaitMessages(page, 20);
                    publish(third, 21, 25);
                    awaitMessages(page, 25);
                }
            } finally {
                first.close();
            }
            List<JsonNode> messages = page.reports("message");
            assertThat(messages).extracting(m -> m.get("data").asText())
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 25).mapToObj(Integer::toString).toList());
            // A relay on its own cannot replay an earlier run's events, so after the second
            // restart, when the browser had seen events of the earlier run, it says the browser may
            // have missed some (the data shows it did not). After the first restart the browser's
            // position held nothing of the earlier run, so there was nothing to miss.
            assertThat(page.reports("reset")).hasSize(1);
        }
    }

    @Test
    void aPageWithAnIdFromElsewhereKeepsReceivingAndResumesExactlyFromItsReset() {
        try (BrowserPage page = new BrowserPage("/browser/resume.html")) {
            Map<String, String> env = Map.of("RELAY_CORS_ALLOWED_ORIGINS", page.origin(), "RELAY_RETRY", "300ms");
            try (RelayProcess relay = RelayProcess.start(env);
                 TcpProxy proxy = new TcpProxy(relay.port())) {
                publish(relay, 1, 3);
                try (HeadlessChromium browser = HeadlessChromium.open(page.origin() + "/page.html?relay=http://127.0.0.1:"
                        + proxy.port() + "&lastEventId=6f1c2d8e-not-an-id-of-ours")) {
                    // Not an error status, which would end the EventSource for good: a reset whose
                    // id is where the page continues from.
                    await().atMost(Duration.ofSeconds(60)).until(() -> page.reports("reset").size() == 1);
                    JsonNode reset = page.reports("reset").get(0);
                    assertThat(reset.get("data").asText()).contains("\"reason\":\"invalid_last_event_id\"");
                    assertThat(reset.get("id").asText()).as("the place of the stream's last event")
                            .matches("[0-9a-z]+-[0-9a-z]+");

                    // Away right after the reset: the page resumes from the reset's id, exactly.
                    proxy.pause();
                    await().until(() -> metric(relay, "sserelay_connections") == 0);
                    publish(relay, 4, 6);
                    proxy.resume(relay.port());
                    awaitMessages(page, 3);
                    publish(relay, 7, 9);
                    awaitMessages(page, 6);
                }
            }
            assertThat(page.reports("message")).extracting(m -> m.get("data").asText())
                    .containsExactly("4", "5", "6", "7", "8", "9");
            assertThat(page.reports("reset")).as("told once, not on every reconnect").hasSize(1);
            assertThat(page.reports("error")).extracting(e -> e.get("readyState").asInt())
                    .as("the page only ever reconnected (0), never gave up (2)").containsOnly(0);
        }
    }

    private static void publish(RelayProcess relay, int from, int to) {
        for (int i = from; i <= to; i++) {
            int status = TestRelay.send(HttpRequest.newBuilder(URI.create(relay.url("/streams/browser")))
                    .header("Authorization", "Bearer " + TestRelay.TOKEN).header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString(Integer.toString(i))).build()).statusCode();
            assertThat(status).isEqualTo(202);
        }
    }

    private static void awaitMessages(BrowserPage page, int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> page.reports("message").size() >= count);
    }

    private static double metric(RelayProcess relay, String sample) {
        String body = TestRelay.send(HttpRequest.newBuilder(URI.create(relay.adminUrl("/metrics"))).GET().build()).body();
        return Metrics.value(body, sample);
    }
}
