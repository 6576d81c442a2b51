package io.sserelay.relay;

import com.nimbusds.jwt.JWTClaimsSet;
import io.sserelay.relay.auth.Tokens;
import io.sserelay.relay.config.ConfigException;
import io.sserelay.relay.config.RelayConfig;
import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.sserelay.relay.BadInputTest.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Signed tokens at the relay's HTTP API: each user gets exactly the streams its token lists,
 * a refusal is precise and changes nothing, and a browser's cookie works across expiry.
 */
class JwtAuthTest {

    private static final String APP = "https://app.example.test";

    private static Map<String, String> jwtRelay(String... extra) {
        Map<String, String> env = new HashMap<>(Map.of(
                "RELAY_PUBLISH_AUTH", "jwt",
                "RELAY_SUBSCRIBE_AUTH", "jwt",
                "RELAY_JWT_HMAC_SECRET", Tokens.HMAC_SECRET,
                "RELAY_JWT_COOKIE", "sse_token",
                "RELAY_CORS_ALLOWED_ORIGINS", APP));
        for (int i = 0; i < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        // TestRelay adds a static publish token, which jwt mode refuses; drop it.
        env.put("RELAY_PUBLISH_TOKEN", "");
        return env;
    }

    private static String token(List<String> subscribe, List<String> publish) {
        return Tokens.hmac(Tokens.claims(subscribe, publish).build());
    }

    /** {@code token}'s header and signature around {@code other}'s claims: a tampered token. */
    private static String withClaimsOf(String token, String other) {
        String[] parts = token.split("\\.");
        return parts[0] + "." + other.split("\\.")[1] + "." + parts[2];
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    @Test
    void eachUserGetsExactlyItsOwnStreams() {
        String user42 = token(List.of("user.42", "public.*"), List.of());
        String backend = token(List.of(), List.of("user.*", "public.*"));
        try (TestRelay relay = TestRelay.start(jwtRelay());
             SseClient mine = SseClient.connect(relay.url("/events?stream=user.42&stream=public.news"), bearer(user42), true)) {
            assertThat(mine.status()).isEqualTo(200);
            HttpResponse<String> theirs = relay.get("/streams/user.43", bearer(user42));
            assertThat(theirs.statusCode()).isEqualTo(403);
            assertThat(theirs.body()).isEqualTo(error("forbidden_stream",
                    "the token does not allow subscribing to stream 'user.43'"));
            HttpResponse<String> mixed = relay.get("/events?stream=user.42&stream=user.43", bearer(user42));
            assertThat(mixed.statusCode()).as("one stream it may not read refuses the whole request").isEqualTo(403);

            assertThat(relay.post("/streams/user.42", "text/plain", "for 42", bearer(backend)).statusCode()).isEqualTo(202);
            assertThat(relay.post("/streams/user.43", "text/plain", "for 43", bearer(backend)).statusCode()).isEqualTo(202);
            assertThat(relay.post("/streams/public.news", "text/plain", "for all", bearer(backend)).statusCode())
                    .isEqualTo(202);
            mine.awaitEvents(2);
            assertThat(mine.data()).containsExactly("for 42", "for all");
            assertThat(relay.metric("sserelay_auth_refusals_total{action=\"subscribe\",reason=\"forbidden_stream\"}"))
                    .isEqualTo(2);
        }
    }

    @Test
    void aPublishToAStreamTheTokenDoesNotReachIsRefusedAndPublishesNothing() {
        String subscriber = token(List.of("*"), List.of());
        String narrow = token(List.of(), List.of("orders.*"));
        try (TestRelay relay = TestRelay.start(jwtRelay());
             SseClient all = SseClient.connect(relay.url("/events?stream=orders.1&stream=billing"), bearer(subscriber),
                     true)) {
            await().until(() -> all.lastEventId() != null);
            HttpResponse<String> single = relay.post("/streams/billing", "text/plain", "x", bearer(narrow));
            assertThat(single.statusCode()).isEqualTo(403);
            assertThat(single.body()).isEqualTo(error("forbidden_stream",
                    "the token does not allow publishing to stream 'billing'"));
            HttpResponse<String> batch = relay.post("/publish", "application/json",
                    "[{\"stream\":\"orders.1\",\"data\":\"ok\"},{\"stream\":\"billing\",\"data\":\"sneaky\"}]",
                    bearer(narrow));
            assertThat(batch.statusCode()).isEqualTo(403);
            assertThat(batch.body()).contains("'billing'");
            assertThat(relay.post("/streams/orders.1", "text/plain", "after", bearer(narrow)).statusCode()).isEqualTo(202);
            all.awaitEvents(1);
            assertThat(all.data()).as("nothing of the refused batch was published").containsExactly("after");
            assertThat(relay.metric("sserelay_events_published_total")).isEqualTo(1);
        }
    }

    @Test
    void everyBadTokenIsAPrecise401AndNothingIsPublished() {
        Instant now = Instant.now();
        JWTClaimsSet good = Tokens.claims(List.of("*"), List.of("*")).build();
        Map<String, String> cases = Map.of(
                "token_expired", Tokens.hmac(new JWTClaimsSet.Builder(good).expirationTime(Date.from(now.minusSeconds(120)))
                        .build()),
                "token_not_yet_valid", Tokens.hmac(new JWTClaimsSet.Builder(good)
                        .notBeforeTime(Date.from(now.plusSeconds(120))).build()),
                "algorithm_not_allowed", new com.nimbusds.jwt.PlainJWT(good).serialize(),
                "bad_signature", withClaimsOf(Tokens.hmac(good), Tokens.hmac(new JWTClaimsSet.Builder(good)
                        .subject("someone-else").build())),
                "invalid_token", "definitely-not-a-jwt");
        try (TestRelay relay = TestRelay.start(jwtRelay())) {
            cases.forEach((reason, token) -> {
                HttpResponse<String> publish = relay.post("/streams/a", "text/plain", "x", bearer(token));
                assertThat(publish.statusCode()).as(reason).isEqualTo(401);
                assertThat(publish.body()).as(reason).contains("\"error\":\"" + reason + "\"").doesNotContain(token);
                assertThat(publish.headers().firstValue("WWW-Authenticate")).as(reason)
                        .hasValue("Bearer realm=\"sse-relay\", error=\"invalid_token\"");
                HttpResponse<String> subscribe = relay.get("/streams/a", bearer(token));
                assertThat(subscribe.statusCode()).as(reason).isEqualTo(401);
                assertThat(relay.metric("sserelay_auth_refusals_total{action=\"publish\",reason=\"" + reason + "\"}"))
                        .as(reason).isEqualTo(1);
            });
            HttpResponse<String> none = relay.post("/streams/a", "text/plain", "x", Map.of("Authorization", ""));
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(none.body()).isEqualTo(error("missing_token", "publishing requires a token: send"
                    + " 'Authorization: Bearer <token>'"));
            assertThat(relay.metric("sserelay_events_published_total")).isZero();
        }
    }

    @Test
    void aBrowsersCookieCarriesItsTokenAndTheQueryParameterOnlyWhereEnabled() {
        String user42 = token(List.of("user.42"), List.of());
        try (TestRelay relay = TestRelay.start(jwtRelay());
             SseClient cookie = SseClient.connect(relay.url("/streams/user.42"),
                     Map.of("Cookie", "theme=dark; sse_token=" + user42, "Origin", APP), true)) {
            assertThat(cookie.status()).isEqualTo(200);
            assertThat(cookie.response().headers().firstValue("Access-Control-Allow-Origin")).hasValue(APP);
            assertThat(cookie.response().headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
            HttpResponse<String> query = relay.get("/streams/user.42?access_token=" + user42, Map.of());
            assertThat(query.statusCode()).as("the query parameter is off by default").isEqualTo(401);
            assertThat(query.body()).contains("missing_token").doesNotContain(user42);
        }
        try (TestRelay relay = TestRelay.start(jwtRelay("RELAY_JWT_QUERY_PARAMETER", "true"));
             SseClient query = SseClient.connect(relay.url("/streams/user.42?access_token=" + user42), Map.of(), true)) {
            assertThat(query.status()).isEqualTo(200);
        }
    }

    @Test
    void aStreamEndsWhenItsTokenExpiresAndTheBrowserResumesWithAFreshOne() {
        String backend = token(List.of(), List.of("*"));
        try (TestRelay relay = TestRelay.start(jwtRelay("RELAY_JWT_CLOCK_SKEW", "0s"))) {
            // Made once the relay is up, so that it is still valid when the stream opens.
            JWTClaimsSet shortLived = Tokens.claims(List.of("user.42"), List.of())
                    .expirationTime(Date.from(Instant.now().plusSeconds(4))).build();
            expireAndResume(relay, backend, shortLived);
        }
    }

    private static void expireAndResume(TestRelay relay, String backend, JWTClaimsSet shortLived) {
        try (SseClient first = SseClient.connect(relay.url("/streams/user.42"),
                Map.of("Cookie", "sse_token=" + Tokens.hmac(shortLived)), true)) {
            assertThat(relay.post("/streams/user.42", "text/plain", "before", bearer(backend)).statusCode()).isEqualTo(202);
            first.awaitEvents(1);
            first.awaitEnded();
            SseFrame last = first.frames().get(first.frames().size() - 1);
            assertThat(last.retry()).as("told to reconnect").isNotNull();
            assertThat(first.frames().stream().flatMap(f -> f.comments().stream()))
                    .contains("token expired; reconnect with a fresh token to resume");

            // Meanwhile: one more event. The reconnect with the old, expired cookie is asked to come
            // back later, as a browser's EventSource must be (an error status would end it for good).
            assertThat(relay.post("/streams/user.42", "text/plain", "while away", bearer(backend)).statusCode())
                    .isEqualTo(202);
            try (SseClient stale = SseClient.connect(relay.url("/streams/user.42"), Map.of("Accept", "text/event-stream",
                    "Cookie", "sse_token=" + Tokens.hmac(shortLived), "Last-Event-ID", first.lastEventId()), true)) {
                assertThat(stale.status()).isEqualTo(200);
                stale.awaitEnded();
                assertThat(stale.events()).isEmpty();
                assertThat(stale.frames()).as("nothing of the relay is told, not even its position")
                        .allSatisfy(f -> assertThat(f.id()).isNull());
                assertThat(stale.frames().stream().map(SseFrame::retry)).anyMatch(r -> r != null);
            }
            String fresh = token(List.of("user.42"), List.of());
            try (SseClient resumed = SseClient.connect(relay.url("/streams/user.42"), Map.of("Accept", "text/event-stream",
                    "Cookie", "sse_token=" + fresh, "Last-Event-ID", first.lastEventId()), true)) {
                resumed.awaitEvents(1);
                assertThat(resumed.data()).as("exactly what it missed").containsExactly("while away");
            }
            assertThat(relay.metric("sserelay_auth_refusals_total{action=\"subscribe\",reason=\"token_expired\"}"))
                    .isEqualTo(1);
        }
    }

    @Test
    void oneClockSkewRuleServesPublishersAndEndsStreams() {
        String backend = token(List.of(), List.of("*"));
        try (TestRelay relay = TestRelay.start(jwtRelay("RELAY_JWT_CLOCK_SKEW", "6s"))) {
            // Expired a moment ago, inside the skew: good until exp + 6 s for every use.
            JWTClaimsSet justExpired = Tokens.claims(List.of("user.42"), List.of("user.42"))
                    .expirationTime(Date.from(Instant.now().minusSeconds(2))).build();
            assertThat(relay.post("/streams/user.42", "text/plain", "in the skew", bearer(Tokens.hmac(justExpired)))
                    .statusCode()).isEqualTo(202);
            try (SseClient browser = SseClient.connect(relay.url("/streams/user.42"),
                    Map.of("Accept", "text/event-stream", "Cookie", "sse_token=" + Tokens.hmac(justExpired)), true)) {
                assertThat(browser.status()).isEqualTo(200);
                assertThat(relay.post("/streams/user.42", "text/plain", "live", bearer(backend)).statusCode())
                        .isEqualTo(202);
                browser.awaitEvents(1);
                browser.awaitEnded(); // at exp + skew, with the signal to come back
                assertThat(browser.frames().stream().flatMap(f -> f.comments().stream()))
                        .contains("token expired; reconnect with a fresh token to resume");
            }
            // Expired beyond the skew: refused, and a browser is asked to come back with a fresh one.
            JWTClaimsSet longExpired = Tokens.claims(List.of("user.42"), List.of("user.42"))
                    .expirationTime(Date.from(Instant.now().minusSeconds(60))).build();
            HttpResponse<String> plain = relay.get("/streams/user.42", bearer(Tokens.hmac(longExpired)));
            assertThat(plain.statusCode()).isEqualTo(401);
            assertThat(plain.body()).contains("\"error\":\"token_expired\"");
            assertThat(relay.post("/streams/user.42", "text/plain", "late", bearer(Tokens.hmac(longExpired)))
                    .statusCode()).isEqualTo(401);
            try (SseClient browser = SseClient.connect(relay.url("/streams/user.42"),
                    Map.of("Accept", "text/event-stream", "Cookie", "sse_token=" + Tokens.hmac(longExpired)), true)) {
                assertThat(browser.status()).isEqualTo(200);
                browser.awaitEnded();
                assertThat(browser.events()).isEmpty();
                assertThat(browser.frames().stream().map(SseFrame::retry)).anyMatch(r -> r != null);
            }
            await().until(() -> relay.metric("sserelay_connections") == 0);
        }
    }

    @Test
    void aTokenOfTheWrongShapeIsA401NeverA500OnEveryKindOfRequest() {
        String nullHeader = "bnVsbA.e30."; // header: null, claims: {}, no signature
        try (TestRelay relay = TestRelay.start(jwtRelay())) {
            for (String token : List.of(nullHeader, "e30.bnVsbA.", "a b.c.d", "....", "bnVsbA.bnVsbA.bnVsbA",
                    Tokens.hmacRaw("{\"alg\":\"HS256\"}", "{\"exp\":null}"))) {
                HttpResponse<String> subscribe = relay.get("/streams/user.42", bearer(token));
                assertThat(subscribe.statusCode()).as(token).isEqualTo(401);
                assertThat(subscribe.body()).as(token).contains("\"error\":\"invalid_token\"");
                HttpResponse<String> browser = relay.get("/streams/user.42", Map.of("Accept", "text/event-stream",
                        "Cookie", "sse_token=" + token));
                assertThat(browser.statusCode()).as(token).isEqualTo(401);
                HttpResponse<String> publish = relay.post("/streams/user.42", "text/plain", "x", bearer(token));
                assertThat(publish.statusCode()).as(token).isEqualTo(401);
                assertThat(publish.body()).as(token).contains("\"error\":\"invalid_token\"");
            }
            assertThat(relay.metric("sserelay_events_published_total")).isZero();
            assertThat(relay.metrics()).doesNotContain("sserelay_unexpected_errors_total");
        }
    }

    @Test
    void cookiesTheRelayCannotParseAreSkippedAndTheFirstOfItsOwnWins() {
        String user42 = token(List.of("user.42"), List.of());
        String user43 = token(List.of("user.43"), List.of());
        try (TestRelay relay = TestRelay.start(jwtRelay())) {
            int port = relay.relay().address().getPort();
            // A sibling application's cookie with bytes >= 0x80 (sent as ISO-8859-1 bytes), and no token.
            RawHttp.Response odd = RawHttp.exchange("127.0.0.1", port, "GET /streams/user.42 HTTP/1.1\r\nHost: x\r\n"
                    + "Accept: text/event-stream\r\nCookie: name=Jos\u00e9; \u00ff\u00fe=\"x\r\nConnection: close\r\n\r\n");
            assertThat(odd.status()).isEqualTo(401);
            assertThat(odd.body()).contains("missing_token");
            // The same odd cookies around a good token: the stream opens.
            try (RawHttp http = RawHttp.connect("127.0.0.1", port, Duration.ofSeconds(30))) {
                http.send("GET /streams/user.42 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                        + "Cookie: name=Jos\u00e9; broken; =; sse_token=" + user42 + "; other=\u00ff\r\n\r\n");
                assertThat(http.readResponseHead()).startsWith("HTTP/1.1 200");
            }
            // Two cookies of its name (one from a broader path): the first one sent is the one used.
            try (SseClient first = SseClient.connect(relay.url("/streams/user.42"),
                    Map.of("Cookie", "sse_token=" + user42 + "; sse_token=" + user43), true)) {
                assertThat(first.status()).isEqualTo(200);
            }
            HttpResponse<String> second = relay.get("/streams/user.42", Map.of("Cookie",
                    "sse_token=" + user43 + "; sse_token=" + user42));
            assertThat(second.statusCode()).isEqualTo(403);
            assertThat(relay.metrics()).doesNotContain("sserelay_unexpected_errors_total");
        }
    }

    @Test
    void aCookieWithEveryOriginAllowedIsRefusedAtStart() {
        Map<String, String> env = jwtRelay("RELAY_CORS_ALLOWED_ORIGINS", "*");
        env.remove("RELAY_PUBLISH_TOKEN");
        assertThatThrownBy(() -> RelayConfig.fromEnvironment(env)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("any site could then read a signed-in user's streams");
        Map<String, String> noKeys = jwtRelay();
        noKeys.remove("RELAY_PUBLISH_TOKEN");
        noKeys.remove("RELAY_JWT_HMAC_SECRET");
        assertThatThrownBy(() -> RelayConfig.fromEnvironment(noKeys)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("signed tokens need exactly one of RELAY_JWT_HMAC_SECRET");
        Map<String, String> weak = jwtRelay("RELAY_JWT_HMAC_SECRET", "too-short");
        weak.remove("RELAY_PUBLISH_TOKEN");
        assertThatThrownBy(() -> RelayConfig.fromEnvironment(weak)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("HS256 needs at least 32").satisfies(e -> assertThat(e.getMessage())
                        .doesNotContain("too-short"));
    }
}
