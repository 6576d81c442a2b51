package io.sserelay.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sserelay.relay.auth.Tokens;
import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.RelayProcess;
import io.sserelay.relay.support.SseClient;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hostile tokens and cookies against a relay process in signed-token mode (both sides, a
 * cookie configured): every segment of a token and every claim holds random JSON (null, numbers
 * of every size, arrays, nested objects, huge and non-ASCII strings), often signed correctly so
 * that the checks behind the signature are reached; the tokens arrive in the Authorization header
 * of publishes and subscribes and in cookies among random others. Invariants: never a 5xx, every
 * refusal in the JSON shape, no generated token publishes anything, the authorized subscriber
 * beside it gets every event of the authorized publisher exactly once and in order, and the
 * relay's log holds no stack trace (it is a separate process, so its whole output is read).
 *
 * <p>CI runs a fixed seed; a longer run: {@code -Dtest=TokenFuzzTest -Djqwik.tries.default=20000
 * -Djqwik.seeds.whenfixed=ALLOW} (see docs/testing.md).
 */
class TokenFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STREAM = "fz";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** Names rights claims may list: none of them reaches {@link #STREAM}. */
    private static final List<String> NOT_FZ = List.of("a", "b.", "user.42", "fz.", "f", "z", "", " ", "\u00e9",
            "orders.x");

    private static RelayProcess relay;
    private static SseClient subscriber;
    private static String publisher;
    private static int published;

    @BeforeContainer
    static void start() {
        relay = RelayProcess.start(Map.of("RELAY_PUBLISH_AUTH", "jwt", "RELAY_SUBSCRIBE_AUTH", "jwt",
                "RELAY_JWT_HMAC_SECRET", Tokens.HMAC_SECRET, "RELAY_JWT_COOKIE", "sse_token",
                "RELAY_PUBLISH_TOKEN", ""));
        String reader = Tokens.hmac(Tokens.claims(List.of(STREAM), List.of()).build());
        publisher = Tokens.hmac(Tokens.claims(List.of(), List.of(STREAM)).build());
        subscriber = SseClient.connect(relay.url("/streams/" + STREAM), Map.of("Authorization", "Bearer " + reader),
                true);
        assertThat(subscriber.status()).isEqualTo(200);
    }

    @AfterContainer
    static void stop() {
        try {
            if (relay != null) {
                String log = relay.output();
                assertThat(log).as("the relay's log").doesNotContain("Exception").doesNotContain("\tat ")
                        .doesNotContain(publisher);
            }
        } finally {
            if (subscriber != null) {
                subscriber.close();
            }
            if (relay != null) {
                relay.close();
            }
        }
    }

    /** One hostile request: where the token goes, the token, and the other cookies around it. */
    record Attempt(String where, String token, String cookieNoise) {

        String request() {
            String head = switch (where) {
                case "publish" -> "POST /streams/" + STREAM + " HTTP/1.1\r\nContent-Type: text/plain\r\n"
                        + "Authorization: Bearer " + token + "\r\nContent-Length: 1\r\n";
                case "subscribe" -> "GET /streams/" + STREAM + " HTTP/1.1\r\nAuthorization: Bearer " + token + "\r\n";
                default -> "GET /streams/" + STREAM + " HTTP/1.1\r\nAccept: text/event-stream\r\nCookie: "
                        + cookieNoise.replace("TOKEN", token) + "\r\n";
            };
            return head + "Host: 127.0.0.1\r\nConnection: close\r\n\r\n" + (where.equals("publish") ? "x" : "");
        }
    }

    @Property(seed = "20261207", shrinking = ShrinkingMode.OFF)
    void noTokenOrCookieGetsA5xxOrPublishesOrDisturbsTheSubscriberBesideIt(@ForAll("attempts") Attempt attempt)
            throws Exception {
        RawHttp.Response response;
        try (RawHttp http = RawHttp.connect("127.0.0.1", relay.port(), Duration.ofSeconds(20))) {
            // Sent as ISO-8859-1, one byte per char: a header may carry any byte a client can send.
            http.send(attempt.request());
            response = http.readResponse(true);
        }
        assertThat(response.status()).as("status of %s", attempt).isBetween(200, 499);
        if (response.status() >= 400) {
            assertThat(response.headers().get("content-type")).as("type of %s", attempt).isEqualTo("application/json");
            JsonNode error = JSON.readTree(response.body());
            assertThat(error.path("error").isTextual() && error.path("message").isTextual() && error.size() == 2)
                    .as("error shape of %s: %s", attempt, response.body()).isTrue();
            assertThat(response.body()).doesNotContain(attempt.token().length() > 8 ? attempt.token() : "\u0000");
        } else {
            assertThat(attempt.where()).as("only a subscriber's stream may open: %s", attempt).isNotEqualTo("publish");
        }

        HttpResponse<String> good = HTTP.send(HttpRequest.newBuilder(URI.create(relay.url("/streams/" + STREAM)))
                .header("Authorization", "Bearer " + publisher).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("e" + published)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(good.statusCode()).isEqualTo(202);
        published++;
        int expected = published;
        await().atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                .until(() -> subscriber.events().size() >= expected);
        assertThat(subscriber.data()).as("the subscriber has exactly the authorized events, in order")
                .hasSize(expected).last().isEqualTo("e" + (expected - 1));
    }

    @Provide
    Arbitrary<Attempt> attempts() {
        Arbitrary<String> where = Arbitraries.of("publish", "subscribe", "cookie");
        Arbitrary<String> token = Arbitraries.randomValue(TokenFuzzTest::token);
        Arbitrary<String> noise = Arbitraries.of("sse_token=TOKEN", "name=Jos\u00e9; sse_token=TOKEN",
                "sse_token=TOKEN; sse_token=other", "\u00ff=\u00fe; sse_token=\"TOKEN\"", "broken; ; =; sse_token=TOKEN",
                "sse_token=TOKEN;" + "x".repeat(3000) + "=1", "a=\"; sse_token=TOKEN", "SSE_TOKEN=TOKEN", ";;;");
        return Combinators.combine(where, token, noise).as(Attempt::new);
    }

    private static String token(Random random) {
        String header = random.nextInt(3) == 0 ? json(random, 2) : headerObject(random);
        String claims = random.nextInt(4) == 0 ? json(random, 2) : claimsObject(random);
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String token = switch (random.nextInt(4)) {
            case 0, 1 -> Tokens.hmacRaw(header, claims);
            case 2 -> base64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                    + base64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "."
                    + base64.encodeToString(bytes(random, random.nextInt(40)));
            default -> base64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                    + base64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + ".";
        };
        return switch (random.nextInt(8)) {
            case 0 -> token.substring(0, token.length() / 2) + " " + token.substring(token.length() / 2);
            case 1 -> token + "=";
            case 2 -> token.replaceFirst("\\.", "");
            case 3 -> token + ".x";
            case 4 -> "\u00e9" + token;
            default -> token;
        };
    }

    private static String headerObject(Random random) {
        List<String> fields = new ArrayList<>();
        fields.add("\"alg\":" + pick(random, "\"HS256\"", "\"none\"", "\"RS256\"", "\"HS512\"", "null", "5",
                "[\"HS256\"]", "{}", "\"\""));
        if (random.nextBoolean()) {
            fields.add("\"kid\":" + json(random, 1));
        }
        if (random.nextBoolean()) {
            fields.add("\"typ\":" + json(random, 1));
        }
        if (random.nextInt(4) == 0) {
            fields.add("\"crit\":" + json(random, 1));
        }
        return "{" + String.join(",", fields) + "}";
    }

    private static String claimsObject(Random random) {
        long now = Instant.now().getEpochSecond();
        List<String> fields = new ArrayList<>();
        fields.add("\"exp\":" + pick(random, String.valueOf(now + 600), String.valueOf(now + 600) + ".5", "null",
                "\"" + (now + 600) + "\"", "[" + (now + 600) + "]", "{}", "-1", "1e400", "123456789012345678901234567890",
                "true", String.valueOf(now - 600)));
        for (String time : List.of("nbf", "iat")) {
            if (random.nextBoolean()) {
                fields.add("\"" + time + "\":" + pick(random, String.valueOf(now), String.valueOf(now + 3600), "null",
                        "\"now\"", "[]", "-5", "1e19"));
            }
        }
        for (String name : List.of("iss", "aud", "sub", "jti")) {
            if (random.nextInt(3) == 0) {
                fields.add("\"" + name + "\":" + json(random, 1));
            }
        }
        for (String claim : List.of("sserelay", "mercure")) {
            if (random.nextBoolean()) {
                fields.add("\"" + claim + "\":" + (random.nextBoolean() ? json(random, 2)
                        : "{\"subscribe\":" + rights(random) + ",\"publish\":" + rights(random) + "}"));
            }
        }
        return "{" + String.join(",", fields) + "}";
    }

    private static String rights(Random random) {
        if (random.nextInt(3) == 0) {
            return json(random, 1);
        }
        List<String> names = new ArrayList<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            names.add(JSON.valueToTree(NOT_FZ.get(random.nextInt(NOT_FZ.size()))).toString());
        }
        return names.toString();
    }

    /** Any JSON value up to {@code depth} levels of nesting; no string in it reaches {@link #STREAM}. */
    private static String json(Random random, int depth) {
        int kind = random.nextInt(depth > 0 ? 8 : 6);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> pick(random, "0", "-0", "1.5", "1e400", "-1e400", "123456789012345678901234567890", "4e-400",
                    String.valueOf(random.nextLong()));
            case 3 -> JSON.valueToTree(NOT_FZ.get(random.nextInt(NOT_FZ.size()))).toString();
            case 4 -> pick(random, "\"\u00e9\u00e8\u4e2d\ud83d\ude00\"", "\"\\u0000\"", "\"" + "x".repeat(5000) + "\"",
                    "\"\\ud800\"", "\"line\\nbreak\"");
            case 5 -> "\"" + "a".repeat(random.nextInt(30)) + "\"";
            case 6 -> {
                List<String> items = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    items.add(json(random, depth - 1));
                }
                yield "[" + String.join(",", items) + "]";
            }
            default -> {
                List<String> members = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    members.add(JSON.valueToTree(pick(random, "alg", "exp", "subscribe", "publish", "kid", "x", ""))
                            + ":" + json(random, depth - 1));
                }
                yield "{" + String.join(",", members) + "}";
            }
        };
    }

    private static String pick(Random random, String... choices) {
        return choices[random.nextInt(choices.length)];
    }

    private static byte[] bytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
