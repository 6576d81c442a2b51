package io.sserelay.relay;

import com.fasterxml.jackson.databind.JsonNode;
import io.sserelay.relay.auth.Tokens;
import io.sserelay.relay.support.BrowserPage;
import io.sserelay.relay.support.HeadlessChromium;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real browser signed in by a cookie: its EventSource (with credentials, from another origin)
 * gets the user's private stream, is refused another user's, and when its token expires it
 * reconnects with the fresh cookie its page set and resumes without gap or duplicate.
 */
class BrowserPrivateStreamTest {

    @Test
    void aCookieSignedInPageGetsItsOwnStreamOnlyAndSurvivesTokenExpiry() {
        AtomicInteger tokensGiven = new AtomicInteger();
        // The page's first token expires 4 s after the page asks for it; the ones it renews with last an hour.
        Supplier<String> token = () -> Tokens.hmac(tokensGiven.getAndIncrement() == 0
                ? Tokens.claims(List.of("user.42"), List.of()).expirationTime(Date.from(Instant.now().plusSeconds(4))).build()
                : Tokens.claims(List.of("user.42"), List.of()).build());
        try (BrowserPage page = new BrowserPage("/browser/private.html").serve("/token", "text/plain", token);
             TestRelay relay = TestRelay.start(Map.of(
                     "RELAY_SUBSCRIBE_AUTH", "jwt",
                     "RELAY_JWT_HMAC_SECRET", Tokens.HMAC_SECRET,
                     "RELAY_JWT_COOKIE", "sse_token",
                     "RELAY_JWT_CLOCK_SKEW", "0s",
                     "RELAY_CORS_ALLOWED_ORIGINS", page.origin(),
                     "RELAY_RETRY", "1s"));
             HeadlessChromium browser = HeadlessChromium.open(page.origin() + "/page.html?relay=" + relay.url(""))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> relay.metric("sserelay_connections") == 1
                    && !page.reports("refused").isEmpty());
            assertThat(page.reports("refused").get(0).get("readyState").asInt()).as("CLOSED: another user's stream")
                    .isEqualTo(2);
            relay.publish("user.43", "not for 42");
            relay.publish("user.42", "m1");
            await().until(() -> messages(page).size() == 1);

            // The token expires: the relay ends the stream, the page renews its cookie, and the
            // browser comes back with it and its last event id.
            await().atMost(Duration.ofSeconds(30)).until(() -> relay.metric("sserelay_connections") == 0);
            relay.publish("user.42", "m2");
            await().until(() -> relay.metric("sserelay_connections") == 1);
            relay.publish("user.42", "m3");
            await().until(() -> messages(page).size() == 3);

            assertThat(messages(page)).extracting(m -> m.get("data").asText()).containsExactly("m1", "m2", "m3");
            assertThat(messages(page)).extracting(m -> m.get("id").asText()).doesNotHaveDuplicates();
            assertThat(page.reports("leak")).isEmpty();
            assertThat(page.reports("reset")).isEmpty();
            assertThat(relay.metric("sserelay_auth_refusals_total{action=\"subscribe\",reason=\"forbidden_stream\"}"))
                    .isGreaterThanOrEqualTo(1);
        }
    }

    private static List<JsonNode> messages(BrowserPage page) {
        return page.reports("message");
    }
}
