package io.sserelay.relay;

import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static io.sserelay.relay.BadInputTest.error;
import static org.assertj.core.api.Assertions.assertThat;

class AuthAndCorsTest {

    private static final String SUBSCRIBE_TOKEN = "test-subscribe-token-0123456789";

    @Test
    void publishingWithoutATokenIs401WithAChallenge() {
        try (TestRelay relay = TestRelay.start()) {
            HttpResponse<String> response = relay.post("/streams/a", "text/plain", "x", Map.of("Authorization", ""));
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"sse-relay\"");
            assertThat(response.body()).isEqualTo(error("missing_token",
                    "publishing requires a token: send 'Authorization: Bearer <token>'"));
            assertThat(relay.metric("sserelay_events_published_total")).isZero();
        }
    }

    @Test
    void publishingWithAnotherSchemeIs401AndWithAWrongTokenIs403() {
        try (TestRelay relay = TestRelay.start()) {
            HttpResponse<String> basic = relay.post("/streams/a", "text/plain", "x",
                    Map.of("Authorization", "Basic dXNlcjpwYXNz"));
            assertThat(basic.statusCode()).isEqualTo(401);
            assertThat(basic.body()).isEqualTo(error("missing_token",
                    "the Authorization header must use the Bearer scheme: 'Authorization: Bearer <token>'"));
            HttpResponse<String> wrong = relay.post("/streams/a", "text/plain", "x",
                    Map.of("Authorization", "Bearer not-the-token"));
            assertThat(wrong.statusCode()).isEqualTo(403);
            assertThat(wrong.body()).isEqualTo(error("invalid_token", "the token presented for publishing is not valid"));
            assertThat(relay.metric("sserelay_events_published_total")).isZero();
        }
    }

    @Test
    void anEmptyBearerTokenCountsAsNoToken() {
        try (TestRelay relay = TestRelay.start()) {
            HttpResponse<String> response = relay.post("/streams/a", "text/plain", "x", Map.of("Authorization", "Bearer  "));
            assertThat(response.statusCode()).isEqualTo(401);
        }
    }

    @Test
    void theTokenIsCheckedBeforeTheRequestIsLookedAt() {
        try (TestRelay relay = TestRelay.start()) {
            HttpResponse<String> response = relay.post("/publish", "application/xml", "<junk/>",
                    Map.of("Authorization", "Bearer not-the-token"));
            assertThat(response.statusCode()).isEqualTo(403);
        }
    }

    @Test
    void publishingIsOpenOnlyWhenAuthIsExplicitlyDisabled() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_PUBLISH_AUTH_DISABLED", "true", "RELAY_PUBLISH_TOKEN", ""))) {
            HttpResponse<String> response = relay.post("/streams/a", "text/plain", "x", Map.of("Authorization", ""));
            assertThat(response.statusCode()).isEqualTo(202);
        }
    }

    @Test
    void subscribingWithTokenAuthNeedsTheTokenInTheHeaderOrTheQuery() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_SUBSCRIBE_AUTH", "token",
                "RELAY_SUBSCRIBE_TOKEN", SUBSCRIBE_TOKEN))) {
            HttpResponse<String> none = relay.get("/streams/a", Map.of());
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.body()).isEqualTo(error("missing_token", "subscribing requires a token: send"
                    + " 'Authorization: Bearer <token>' or the access_token query parameter"));
            HttpResponse<String> wrong = relay.get("/streams/a?access_token=nope", Map.of());
            assertThat(wrong.statusCode()).isEqualTo(403);
            assertThat(wrong.body()).isEqualTo(error("invalid_token", "the token presented for subscribing is not valid"));
            try (SseClient byHeader = relay.subscribe("/streams/a", Map.of("Authorization", "Bearer " + SUBSCRIBE_TOKEN));
                 SseClient byQuery = relay.subscribe("/streams/a?access_token=" + SUBSCRIBE_TOKEN)) {
                assertThat(byHeader.status()).isEqualTo(200);
                assertThat(byQuery.status()).isEqualTo(200);
                relay.publish("a", "secret news");
                byHeader.awaitEvents(1);
                byQuery.awaitEvents(1);
            }
        }
    }

    @Test
    void anAllowedOriginIsEchoedOnStreamsAndPublishes() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_CORS_ALLOWED_ORIGINS", "https://app.example.com"));
             SseClient stream = relay.subscribe("/streams/a", Map.of("Origin", "https://app.example.com"))) {
            assertThat(stream.response().headers().firstValue("Access-Control-Allow-Origin"))
                    .hasValue("https://app.example.com");
            assertThat(stream.response().headers().allValues("Vary")).contains("Origin");
            HttpResponse<String> publish = relay.post("/streams/a", "text/plain", "x",
                    Map.of("Origin", "https://app.example.com"));
            assertThat(publish.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
            HttpResponse<String> other = relay.get("/healthz", Map.of("Origin", "https://evil.example.com"));
            assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            assertThat(other.headers().allValues("Vary")).contains("Origin");
        }
    }

    @Test
    void preflightsAreAnsweredForAllowedOriginsAndRefusedForOthers() {
        try (TestRelay relay = TestRelay.start(Map.of("RELAY_CORS_ALLOWED_ORIGINS", "https://app.example.com"))) {
            HttpResponse<String> allowed = relay.request("OPTIONS", "/streams/a", null, null, Map.of(
                    "Origin", "https://app.example.com", "Access-Control-Request-Method", "POST",
                    "Authorization", ""));
            assertThat(allowed.statusCode()).isEqualTo(204);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, POST, OPTIONS");
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Headers"))
                    .hasValue("Authorization, Content-Type, Last-Event-ID");
            HttpResponse<String> refused = relay.request("OPTIONS", "/streams/a", null, null, Map.of(
                    "Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST",
                    "Authorization", ""));
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).isEqualTo(error("origin_not_allowed",
                    "origin 'https://evil.example.com' is not in RELAY_CORS_ALLOWED_ORIGINS"));
        }
    }
}
