package io.sserelay.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestRelay;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Generated publish and subscribe requests (methods, paths, query parameters, headers, content
 * types, bodies, chunked framing, {@code Expect: 100-continue}, a '%' without two hex digits in
 * the target, chunk sizes that break the chunked coding) sent over raw sockets to a real relay,
 * against the invariants of its API: never a 5xx, never a hang, every error in the JSON shape,
 * every accepted event delivered exactly once and in order to a subscriber of its stream, and no
 * rejected request publishing anything.
 *
 * <p>CI runs a fixed seed. A longer run with fresh seeds:
 * {@code ./mvnw -pl relay -am test -Dtest=RequestFuzzTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Djqwik.tries.default=20000 -Djqwik.seeds.whenfixed=ALLOW} (see docs/testing.md).
 */
class RequestFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> STREAMS = List.of("f1", "f2", "f.3");
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(20);

    private static TestRelay relay;
    private static SseClient subscriber;
    private static final List<String> acceptedIds = new ArrayList<>();

    /**
     * One generated request: its head as text (one char per byte) and its body; a chunked body
     * starts with {@code badChunkSize} as its first size line when that is not null.
     */
    record FuzzRequest(String head, byte[] body, boolean expectContinue, boolean chunked, String badChunkSize) {

        byte[] bodyOnTheWire(List<Integer> splits) {
            if (!chunked) {
                return body;
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (badChunkSize != null) {
                out.writeBytes((badChunkSize + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            int at = 0;
            for (int split : splits) {
                int size = Math.min(split, body.length - at);
                if (size > 0) {
                    out.writeBytes((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body, at, size);
                    out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                    at += size;
                }
            }
            if (at < body.length) {
                out.writeBytes((Integer.toHexString(body.length - at) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body, at, body.length - at);
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return out.toByteArray();
        }

        @Override
        public String toString() {
            return head.replace("\r\n", "\\r\\n") + (badChunkSize == null ? "" : "[chunk size " + badChunkSize + "]")
                    + new String(body, StandardCharsets.UTF_8);
        }
    }

    @BeforeContainer
    static void start() {
        relay = TestRelay.start(Map.of("RELAY_MAX_EVENT_BYTES", "1Ki", "RELAY_MAX_BATCH_EVENTS", "4",
                "RELAY_MAX_STREAMS_PER_CONNECTION", "4", "RELAY_REQUEST_TIMEOUT", "5s"));
        subscriber = relay.subscribe("/events?stream=f1&stream=f2&stream=f.3", Map.of());
        await().until(() -> subscriber.lastEventId() != null);
    }

    @AfterContainer
    static void stop() {
        if (subscriber != null) {
            subscriber.close();
        }
        if (relay != null) {
            relay.close();
        }
    }

    /** How many tries: {@code jqwik.tries.default} in junit-platform.properties, or from the command line. */
    @Property(seed = "20261124", shrinking = ShrinkingMode.OFF, edgeCases = EdgeCasesMode.MIXIN)
    void noRequestFailsHangsOrPublishesWhatWasRefused(@ForAll("requests") FuzzRequest request,
            @ForAll("chunkSplits") List<Integer> splits) throws Exception {
        double publishedBefore = relay.metric("sserelay_events_published_total");
        RawHttp.Response response;
        boolean head = request.head().startsWith("HEAD ");
        try (RawHttp http = RawHttp.connect("127.0.0.1", relay.relay().address().getPort(), ANSWER_WITHIN)) {
            http.send(request.head());
            response = null;
            if (request.expectContinue()) {
                response = http.readResponse(!head);
                if (response.status() == 100) {
                    response = null;
                }
            }
            if (response == null) {
                http.send(request.bodyOnTheWire(splits));
                response = http.readResponse(!head);
            }
        }

        assertThat(response.status()).as("status of %s", request).isBetween(200, 499);
        String contentType = response.headers().getOrDefault("content-type", "");
        List<String> ids = new ArrayList<>();
        if (response.status() >= 400) {
            assertThat(contentType).as("error content type of %s", request).isEqualTo("application/json");
            if (!head) { // a response to HEAD has no body; its status and type are checked
                JsonNode error = JSON.readTree(response.body());
                assertThat(error.path("error").isTextual() && error.path("message").isTextual() && error.size() == 2)
                        .as("error shape of %s: %s", request, response.body()).isTrue();
            }
        } else if (response.status() == 202) {
            JsonNode accepted = JSON.readTree(response.body());
            if (accepted.has("id")) {
                ids.add(accepted.get("id").asText());
            } else {
                accepted.get("ids").forEach(id -> ids.add(id.asText()));
            }
        } else if (contentType.startsWith("text/event-stream")) {
            assertThat(response.status()).isEqualTo(200);
        }

        assertThat(relay.metric("sserelay_events_published_total"))
                .as("events published by %s (answered %d)", request, response.status())
                .isEqualTo(publishedBefore + ids.size());
        synchronized (acceptedIds) {
            acceptedIds.addAll(ids);
            List<String> expected = List.copyOf(acceptedIds);
            await().atMost(ANSWER_WITHIN).until(() -> subscriber.events().size() >= expected.size());
            // Each event's id names its connection's place in every stream; the event's own is the
            // place that moved. Every accepted event once, each stream's in the order published.
            assertThat(placesThatMoved(subscriber.frames())).containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    /**
     * For each event on {@code /events}, its own place: the one its id moved from the id the
     * connection had before it (positions are ids without an event).
     */
    private static List<String> placesThatMoved(List<SseFrame> frames) {
        Map<String, String> before = new java.util.HashMap<>();
        List<String> moved = new ArrayList<>();
        for (SseFrame frame : frames) {
            if (frame.id() == null || frame.id().isEmpty()) {
                continue;
            }
            Map<String, String> places = new java.util.HashMap<>();
            for (String place : frame.id().split(",")) {
                String[] parts = place.split("~", 2);
                places.put(parts[0], parts[1]);
            }
            if (frame.isEvent()) {
                places.forEach((stream, id) -> {
                    if (!id.equals(before.get(stream))) {
                        moved.add(id);
                    }
                });
            }
            before.putAll(places);
        }
        return moved;
    }

    @Provide
    Arbitrary<List<Integer>> chunkSplits() {
        return Arbitraries.integers().between(1, 40).list().ofMinSize(0).ofMaxSize(6);
    }

    @Provide
    Arbitrary<FuzzRequest> requests() {
        Arbitrary<String> method = Arbitraries.frequency(
                Tuple.of(12, "POST"), Tuple.of(5, "GET"), Tuple.of(1, "HEAD"),
                Tuple.of(1, "PUT"), Tuple.of(1, "DELETE"), Tuple.of(1, "BREW"));
        Arbitrary<String> stream = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(STREAMS)),
                Tuple.of(3, Arbitraries.of("a;b", "f1;event=x", "a%20b", "a\\b", "a#b", "\u00c3\u00a9t\u00c3\u00a9",
                        "%C3", "\u00ff", "", "a/b", "s".repeat(201), "f%31", "..", "%2F", "a%zz", "%g0", "f1%")));
        Arbitrary<String> path = Arbitraries.frequencyOf(
                Tuple.of(10, stream.map(s -> "/streams/" + s)),
                Tuple.of(3, Arbitraries.just("/publish")),
                Tuple.of(2, Arbitraries.just("/events")),
                Tuple.of(1, Arbitraries.of("/", "/healthz", "/readyz", "/nowhere", "//streams/f1",
                        "/streams", "/streams/f1/")));
        Arbitrary<String> parameter = Combinators.combine(
                Arbitraries.of("event", "event", "stream", "stream", "lastEventId", "access_token", "evnet", "foo",
                        "", "%FF", "a%0Ab"),
                Arbitraries.of("t", "order", "f1", "f2", "f.3", "x%0Ay", "", "a+b", "%E2%82%AC", "%FF", "reset", "open",
                        "x:1", "zz:zz", "error")).as((name, value) -> name + "=" + value);
        Arbitrary<String> query = parameter.list().ofMaxSize(3).map(list -> list.isEmpty() ? ""
                : "?" + String.join("&", list));
        Arbitrary<String> contentType = Arbitraries.of("", "Content-Type: text/plain\r\n",
                "Content-Type: text/plain; charset=utf-8\r\n", "Content-Type: application/json\r\n",
                "Content-Type: application/json; charset=UTF-8\r\n", "Content-Type: ;;;\r\n", "Content-Type: ;\r\n",
                "Content-Type: \r\n", "Content-Type: text/html\r\n", "Content-Type: application/x-www-form-urlencoded\r\n",
                "Content-Type: text/plain; charset=latin1\r\n", "Content-Type: application/json;;charset=utf-8\r\n",
                "Content-Type: application/json; charset\r\n");
        Arbitrary<String> authorization = Arbitraries.frequency(
                Tuple.of(6, "Authorization: Bearer " + TestRelay.TOKEN + "\r\n"),
                Tuple.of(1, ""), Tuple.of(1, "Authorization: Bearer wrong-token-0123456789\r\n"),
                Tuple.of(1, "Authorization: Basic YTpi\r\n"), Tuple.of(1, "Authorization: Bearer \r\n"));
        Arbitrary<String> extra = Arbitraries.of("", "", "", "Last-Event-ID: garbage\r\n", "Last-Event-ID: x:1\r\n",
                "Origin: https://elsewhere.example\r\n", "Accept: text/event-stream\r\n");
        Arbitrary<byte[]> body = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of("hello", "line1\nline2\r\nline3\r", "", "x".repeat(2000),
                        "{\"data\":\"text\"}", "{\"event\":\"t\",\"data\":{\"n\":1e999999,\"x\":[1,null]}}",
                        "{\"data\":null}", "{\"data\":12.50}", "{\"data\":\"\"}", "{\"data\":", "{\"data\":\"x\"} {}",
                        "{\"event\":\"reset\",\"data\":\"x\"}", "{\"data\":\"x\",\"data\":\"y\"}", "[]",
                        "[{\"stream\":\"f1\",\"data\":\"a\"},{\"stream\":\"f2\",\"event\":\"t\",\"data\":[2]}]",
                        "[{\"stream\":\"f1\",\"data\":\"a\"},{\"stream\":\"a b\",\"data\":\"b\"}]",
                        "[{\"stream\":\"f.3\",\"data\":1},{\"stream\":\"f.3\",\"data\":2},{\"stream\":\"f.3\",\"data\":3},"
                                + "{\"stream\":\"f.3\",\"data\":4},{\"stream\":\"f.3\",\"data\":5}]")
                        .map(text -> text.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(1, Arbitraries.bytes().array(byte[].class).ofMaxSize(64)));
        Arbitrary<Boolean> chunked = Arbitraries.of(false, false, true);
        Arbitrary<Boolean> expectContinue = Arbitraries.of(false, false, false, true);
        Arbitrary<String> badChunkSize = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(null)),
                Tuple.of(2, Arbitraries.of("zz", "-1", "", " ", "0x5", "10000000000000000", "5;" + "e".repeat(1100))));

        return Combinators.combine(method, path, query, contentType, authorization, extra, body,
                Combinators.combine(chunked, expectContinue, badChunkSize).as(Framing::new))
                .as((m, p, q, type, auth, other, data, framing) -> {
                    byte[] payload = m.equals("GET") || m.equals("HEAD") ? new byte[0] : data;
                    String head = m + " " + p + q + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + type + auth
                            + other + (framing.expectContinue() ? "Expect: 100-continue\r\n" : "")
                            + (framing.chunked() ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + payload.length + "\r\n")
                            + "\r\n";
                    return new FuzzRequest(head, payload, framing.expectContinue(), framing.chunked(),
                            framing.chunked() ? framing.badChunkSize() : null);
                });
    }

    private record Framing(boolean chunked, boolean expectContinue, String badChunkSize) {
    }
}
