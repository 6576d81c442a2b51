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
 * A real browser's EventSource against real relay processes. The browser reaches the relay
 * through a TCP proxy the test can cut, so the test decides exactly when the browser is away
 * and what is published meanwhile; reconnecting and resuming is left to the browser itself.
 */
class BrowserResumeTest {

    @Test
    void chromiumsOwnReconnectResumesWithoutGapOrDuplicateAcrossADropAndARelayRestart() {
        try (BrowserPage page = new BrowserPage("/browser/resume.html")) {
            Map<String, String> env = Map.of("RELAY_CORS_ALLOWED_ORIGINS", page.origin(), "RELAY_RETRY", "300ms",
                    "RELAY_SHUTDOWN_RETRY", "300ms");
            RelayProcess first = RelayProcess.start(env);
            try (TcpProxy proxy = new TcpProxy(first.port());
                 HeadlessChromium browser = HeadlessChromium.open(page.origin() + "/page.html?relay=http://127.0.0.1:"
                         + proxy.port())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> !page.reports("open").isEmpty());

                // Live delivery.
                publish(first, 1, 10);
                awaitMessages(page, 10);

                // The browser drops off; what is published meanwhile comes back on reconnect.
                proxy.pause();
                await().until(() -> relayConnections(first) == 0);
                publish(first, 11, 15);
                proxy.resume(first.port());
                awaitMessages(page, 15);
                assertThat(metric(first, "sserelay_events_replayed_total")).isEqualTo(5);

                // The relay restarts; the browser resumes on the new process.
                first.terminate();
                assertThat(first.awaitExit()).isEqualTo(143);
                proxy.pause();
                try (RelayProcess second = RelayProcess.start(env)) {
                    publish(second, 16, 20);
                    proxy.resume(second.port());
                    awaitMessages(page, 20);
                    assertThat(metric(second, "sserelay_events_replayed_total")).isEqualTo(5);
                    publish(second, 21, 25);
                    awaitMessages(page, 25);
                }
            } finally {
                first.close();
            }
            List<JsonNode> messages = page.reports("message");
            assertThat(messages).extracting(m -> m.get("data").asText())
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, 25).mapToObj(Integer::toString).toList());
            assertThat(page.reports("reset")).isEmpty();
            assertThat(page.reports("open").size()).as("connections the browser opened").isGreaterThanOrEqualTo(3);
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

    private static double relayConnections(RelayProcess relay) {
        return metric(relay, "sserelay_connections");
    }

    private static double metric(RelayProcess relay, String sample) {
        String body = TestRelay.send(HttpRequest.newBuilder(URI.create(relay.url("/metrics"))).GET().build()).body();
        return Metrics.value(body, sample);
    }
}
