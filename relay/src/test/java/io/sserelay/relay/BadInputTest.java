package io.sserelay.relay;

import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every kind of bad request gets its exact status and JSON error, and changes nothing: after
 * each one the relay has accepted no event and holds no connection.
 */
class BadInputTest {

    private static final String TEXT = "text/plain";
    private static final String JSON = "application/json";
    private static final String MALFORMED_REQUEST = "the request is not valid HTTP/1.1: its request line, a header"
            + " line, a %-escape in its target (% and two hex digits) or its framing (one Content-Length, or"
            + " Transfer-Encoding without it) could not be parsed, or its head is too large";
    private static TestRelay relay;

    @BeforeAll
    static void start() {
        relay = TestRelay.start(Map.of("RELAY_MAX_EVENT_BYTES", "1Ki", "RELAY_MAX_BATCH_EVENTS", "3",
                "RELAY_MAX_STREAMS_PER_CONNECTION", "4"));
    }

    @AfterAll
    static void stop() {
        relay.close();
    }

    @AfterEach
    void nothingWasPublishedOrLeftOpen() {
        assertThat(relay.metric("sserelay_events_published_total")).isZero();
        assertThat(relay.metric("sserelay_history_events")).isZero();
        assertThat(relay.metric("sserelay_connections")).isZero();
    }

    static Stream<Arguments> badRequests() {
        String longName = "s".repeat(201);
        String fiveStreams = IntStream.range(0, 5).mapToObj(i -> "stream=s" + i).collect(Collectors.joining("&"));
        return Stream.of(
                arguments("POST", "/streams/a%20b", TEXT, "x", 400, "invalid_stream_name",
                        "stream name 'a b' is invalid: use 1-200 characters from A-Z a-z 0-9 . _ : -"),
                arguments("POST", "/streams/" + longName, TEXT, "x", 400, "invalid_stream_name",
                        "stream name is 201 characters long; the limit is 200"),
                arguments("GET", "/streams/bad!name", null, null, 400, "invalid_stream_name",
                        "stream name 'bad!name' is invalid: use 1-200 characters from A-Z a-z 0-9 . _ : -"),
                arguments("GET", "/streams/", null, null, 400, "invalid_stream_name",
                        "stream name is empty: use 1-200 characters from A-Z a-z 0-9 . _ : -"),
                arguments("GET", "/streams/a/b", null, null, 400, "invalid_stream_name",
                        "stream name 'a/b' is invalid: use 1-200 characters from A-Z a-z 0-9 . _ : -"),
                arguments("GET", "/events", null, null, 400, "missing_stream",
                        "name at least one stream: /events?stream=a&stream=b"),
                arguments("GET", "/events?stream=ok&stream=no%0Ano", null, null, 400, "invalid_stream_name",
                        "stream name 'no\\u000ano' is invalid: use 1-200 characters from A-Z a-z 0-9 . _ : -"),
                arguments("GET", "/events?stream=ok&stream=error", null, null, 400, "reserved_stream_name",
                        "on /events a stream's events are typed with its name, and 'error' is an event type"
                                + " EventSource or the relay gives its own meaning; subscribe to it on /streams/error"),
                arguments("POST", "/streams/a", JSON, "{\"data\":" + "[".repeat(1500) + "]".repeat(1500) + "}", 400,
                        "invalid_json", "the body exceeds a JSON limit: Document nesting depth (1001) exceeds the"
                                + " maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)"),
                arguments("POST", "/publish?event=t", JSON, "[{\"stream\":\"a\",\"data\":\"x\"}]", 400,
                        "unexpected_parameter", "query parameter 'event' is not accepted by POST /publish; it takes"
                                + " no query parameters"),
                arguments("POST", "/streams/a?evnet=order", TEXT, "x", 400, "unexpected_parameter",
                        "query parameter 'evnet' is not accepted by POST /streams/{stream}; it takes event"),
                arguments("POST", "/streams/a?event=a&event=b", TEXT, "x", 400, "repeated_parameter",
                        "query parameter 'event' is given 2 times; give it once"),
                arguments("GET", "/events?stream=a&foo=bar", null, null, 400, "unexpected_parameter",
                        "query parameter 'foo' is not accepted by GET /events; it takes access_token, lastEventId,"
                                + " stream"),
                arguments("GET", "/streams/a?stream=b", null, null, 400, "unexpected_parameter",
                        "query parameter 'stream' is not accepted by GET /streams/{stream}; it takes access_token,"
                                + " lastEventId"),
                arguments("GET", "/streams/a?lastEventId=x:1&lastEventId=x:2", null, null, 400, "repeated_parameter",
                        "query parameter 'lastEventId' is given 2 times; give it once"),
                arguments("GET", "/healthz?verbose", null, null, 400, "unexpected_parameter",
                        "query parameter 'verbose' is not accepted by GET /healthz; it takes no query parameters"),
                arguments("GET", "/?strem=a", null, null, 400, "unexpected_parameter",
                        "query parameter 'strem' is not accepted by GET /; it takes stream"),
                arguments("GET", "/events?stream=a%C3", null, null, 400, "invalid_url",
                        "the value of query parameter 'stream' is not UTF-8 once its escapes are decoded"),
                arguments("GET", "/events?" + fiveStreams, null, null, 400, "too_many_streams",
                        "the request names 5 streams; one connection may carry at most 4"),
                arguments("POST", "/streams/a?event=x%0Dy", TEXT, "x", 400, "invalid_event_type",
                        "the event query parameter must not contain CR, LF or NUL"),
                arguments("POST", "/streams/a?event=", TEXT, "x", 400, "invalid_event_type",
                        "the event query parameter is empty: omit it for the default 'message'"),
                arguments("POST", "/streams/a", JSON, "{\"event\":\"a\\nb\",\"data\":\"x\"}", 400, "invalid_event_type",
                        "event must not contain CR, LF or NUL"),
                arguments("POST", "/streams/a", JSON, "{\"event\":\"a\\u0000\",\"data\":\"x\"}", 400,
                        "invalid_event_type", "event must not contain CR, LF or NUL"),
                arguments("POST", "/streams/a", JSON, "{\"event\":7,\"data\":\"x\"}", 400, "invalid_event_type",
                        "event must be a string"),
                arguments("POST", "/streams/a?event=reset", TEXT, "x", 400, "reserved_event_type",
                        "event type 'reset' is reserved for the relay's notice that events were missed"),
                arguments("POST", "/streams/a", TEXT, "", 400, "empty_data",
                        "event data is empty: send the data as the request body"),
                arguments("POST", "/streams/a", JSON, "{\"data\":\"\"}", 400, "empty_data", "data is an empty string"),
                arguments("POST", "/streams/a", JSON, "{\"event\":\"t\"}", 400, "empty_data", "data is missing"),
                arguments("POST", "/streams/a", TEXT, "x".repeat(1025), 413, "event_too_large",
                        "event data is 1025 bytes; the limit is 1024"),
                arguments("POST", "/streams/a", JSON, "{\"data\":\"" + "x".repeat(1025) + "\"}", 413, "event_too_large",
                        "data is 1025 bytes; the limit is 1024"),
                arguments("POST", "/streams/a", "application/xml", "<x/>", 415, "unsupported_media_type",
                        "Content-Type 'application/xml' is not accepted: send text/plain or application/json (UTF-8)"),
                arguments("POST", "/streams/a", null, "x", 415, "unsupported_media_type",
                        "the request has no Content-Type: send text/plain or application/json (UTF-8)"),
                arguments("POST", "/streams/a", "text/plain; charset=iso-8859-1", "x", 415, "unsupported_media_type",
                        "Content-Type 'text/plain; charset=iso-8859-1' is not accepted: send text/plain or"
                                + " application/json (UTF-8)"),
                arguments("POST", "/publish", TEXT, "x", 415, "unsupported_media_type",
                        "Content-Type 'text/plain' is not accepted: send application/json for a batch (UTF-8)"),
                arguments("POST", "/streams/a", "text/plain; charset", "x", 415, "unsupported_media_type",
                        "Content-Type 'text/plain; charset' is not accepted (its charset parameter has no value): send"
                                + " text/plain or application/json (UTF-8)"),
                arguments("POST", "/streams/a", "text/plain; charset=", "x", 415, "unsupported_media_type",
                        "Content-Type 'text/plain; charset=' is not accepted (its charset parameter has no value): send"
                                + " text/plain or application/json (UTF-8)"),
                arguments("POST", "/streams/a", "application/json; charset=\"\"", "{\"data\":1}", 415,
                        "unsupported_media_type", "Content-Type 'application/json; charset=\"\"' is not accepted (its"
                                + " charset parameter has no value): send text/plain or application/json (UTF-8)"),
                arguments("POST", "/streams/a", "text/plain; charset=latin1; charset=utf-8", "x", 415,
                        "unsupported_media_type", "Content-Type 'text/plain; charset=latin1; charset=utf-8' is not"
                                + " accepted (it names a charset twice): send text/plain or application/json (UTF-8)"),
                arguments("POST", "/streams/a", "text/plain; charset=utf-8; Charset=utf-8", "x", 415,
                        "unsupported_media_type", "Content-Type 'text/plain; charset=utf-8; Charset=utf-8' is not"
                                + " accepted (it names a charset twice): send text/plain or application/json (UTF-8)"),
                arguments("POST", "/streams/a", JSON, "{\"data\":", 400, "invalid_json",
                        "the body is not valid JSON: Unexpected end-of-input within/between Object entries at line 1,"
                                + " column 9"),
                arguments("POST", "/streams/a", JSON, "{\"data\":\"x\"} trailing", 400, "invalid_json",
                        "the body is not valid JSON: Unrecognized token 'trailing': was expecting (JSON String,"
                                + " Number, Array, Object or token 'null', 'true' or 'false') at line 1, column 22"),
                arguments("POST", "/streams/a", JSON, "[\"x\"]", 400, "invalid_json",
                        "the body must be a JSON object {\"event\": ..., \"data\": ...}"),
                arguments("POST", "/streams/a", JSON, "{\"type\":\"t\",\"data\":\"x\"}", 400, "unknown_field",
                        "unknown field 'type': expected data, event"),
                arguments("POST", "/streams/a?event=t", JSON, "{\"data\":\"x\"}", 400, "unexpected_parameter",
                        "the event query parameter applies to text bodies; put \"event\" in the JSON body instead"),
                arguments("POST", "/publish", JSON, "[]", 400, "empty_batch", "the batch has no events"),
                arguments("POST", "/publish", JSON, "{\"stream\":\"a\",\"data\":\"x\"}", 400, "invalid_json",
                        "the body must be a JSON array of {\"stream\": ..., \"event\": ..., \"data\": ...}"),
                arguments("POST", "/publish", JSON, "[" + "{\"stream\":\"a\",\"data\":\"x\"},".repeat(3)
                        + "{\"stream\":\"a\",\"data\":\"x\"}]", 413, "batch_too_large",
                        "the batch has more than 3 events; the limit is 3"),
                arguments("POST", "/streams/a", JSON, "{\"data\":\"x\"} {}", 400, "invalid_json",
                        "the body has more after its JSON value at line 1, column 14"),
                arguments("POST", "/streams/a", JSON, "{\"data\":\"x\",\"data\":\"y\"}", 400, "invalid_json",
                        "the body is not valid JSON: Duplicate field 'data' at line 1, column 19"),
                arguments("POST", "/streams/a", ";;;", "x", 415, "unsupported_media_type",
                        "Content-Type ';;;' is not accepted: send text/plain or application/json (UTF-8)"),
                arguments("POST", "/streams/a", ";", "x", 415, "unsupported_media_type",
                        "Content-Type ';' is not accepted: send text/plain or application/json (UTF-8)"),
                arguments("POST", "/publish", ";;", "[]", 415, "unsupported_media_type",
                        "Content-Type ';;' is not accepted: send application/json for a batch (UTF-8)"),
                arguments("POST", "/publish", JSON, "[{\"stream\":\"a\",\"data\":\"ok\"},{\"data\":\"x\"}]", 400,
                        "missing_stream", "events[1].stream must be a string naming the stream"),
                arguments("POST", "/publish", JSON, "[{\"stream\":\"a\",\"data\":\"ok\"},{\"stream\":\"b c\",\"data\":\"x\"}]",
                        400, "invalid_stream_name",
                        "events[1]: stream name 'b c' is invalid: use 1-200 characters from A-Z a-z 0-9 . _ : -"),
                arguments("POST", "/publish", JSON, "[{\"stream\":\"a\",\"data\":\"ok\"},{\"stream\":\"b\",\"data\":\"\"}]",
                        400, "empty_data", "events[1].data is an empty string"),
                arguments("POST", "/publish", JSON, "[{\"stream\":\"a\",\"data\":\"ok\",\"id\":\"7\"}]", 400,
                        "unknown_field", "unknown field 'events[0].id': expected data, event, stream"),
                arguments("GET", "/nowhere", null, null, 404, "not_found",
                        "no such endpoint: /nowhere (see GET /streams/{stream}, POST /streams/{stream}, GET /events,"
                                + " POST /publish)"),
                arguments("PUT", "/streams/a", TEXT, "x", 405, "method_not_allowed",
                        "PUT is not allowed here; use GET, POST"),
                arguments("POST", "/healthz", TEXT, "x", 405, "method_not_allowed",
                        "POST is not allowed here; use GET, HEAD"));
    }

    @ParameterizedTest(name = "{0} {1} -> {4} {5}")
    @MethodSource("badRequests")
    void answersWithAPreciseErrorAndChangesNothing(String method, String path, String contentType, String body,
            int status, String code, String message) {
        HttpResponse<String> response = relay.request(method, path, contentType,
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), Map.of());
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo(error(code, message));
    }

    /**
     * Request lines no well-behaved client sends, byte for byte (Java's HttpClient refuses to send
     * them), including absolute-form targets ("http://host/path", RFC 9112 section 3.2.2).
     */
    static Stream<Arguments> rawRequestLines() {
        String invalid = "' is invalid: use 1-200 characters from A-Z a-z 0-9 . _ : -";
        return Stream.of(
                arguments("POST /streams/a;b", "invalid_stream_name", "stream name 'a;b" + invalid),
                arguments("GET /streams/a;b", "invalid_stream_name", "stream name 'a;b" + invalid),
                arguments("POST /streams/a;event=x", "invalid_stream_name", "stream name 'a;event=x" + invalid),
                arguments("POST http://127.0.0.1/streams/a;b", "invalid_stream_name", "stream name 'a;b" + invalid),
                arguments("GET http://127.0.0.1/events?stream=a&foo=bar", "unexpected_parameter",
                        "query parameter 'foo' is not accepted by GET /events; it takes access_token, lastEventId, stream"),
                arguments("POST /streams/a\\b", "invalid_stream_name", "stream name 'a\\b" + invalid),
                arguments("POST /streams/a#b", "invalid_stream_name", "stream name 'a#b" + invalid),
                arguments("POST /streams/\u00c3\u00a9t\u00c3\u00a9", "invalid_stream_name", "stream name '\u00e9t\u00e9" + invalid),
                arguments("GET /streams/%C3", "invalid_url", "the request path is not UTF-8 once its escapes are decoded"),
                arguments("GET /streams/\u00ff", "invalid_url", "the request path is not UTF-8 once its escapes are decoded"),
                arguments("GET /events?stream=a&\u00ff", "invalid_url",
                        "a query parameter name is not UTF-8 once its escapes are decoded"));
    }

    @ParameterizedTest(name = "{0} -> 400 {1}")
    @MethodSource("rawRequestLines")
    void answersAnOddRequestLineWithAPreciseErrorAndChangesNothing(String requestLine, String code, String message) {
        RawHttp.Response response = RawHttp.exchange("127.0.0.1", relay.relay().address().getPort(), requestLine
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestRelay.TOKEN
                + "\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.headers()).containsEntry("content-type", "application/json");
        assertThat(response.body()).isEqualTo(error(code, message));
    }

    /**
     * Request heads Undertow's parser refuses before any handler runs; the relay answers them
     * below Undertow (JsonBadRequestConduit).
     */
    static Stream<Arguments> unparsableHeads() {
        String rest = "Host: 127.0.0.1\r\nAuthorization: Bearer " + TestRelay.TOKEN + "\r\nContent-Type: text/plain\r\n";
        String oversized = "GET /healthz HTTP/1.1\r\nX-Padding: ";
        return Stream.of(
                arguments("a % not followed by two hex digits",
                        "POST /streams/a%zz HTTP/1.1\r\n" + rest + "Content-Length: 1\r\n\r\nx"),
                arguments("a header line without a colon",
                        "POST /streams/a HTTP/1.1\r\n" + rest + "NoColonHere\r\nContent-Length: 1\r\n\r\nx"),
                arguments("two Content-Lengths",
                        "POST /streams/a HTTP/1.1\r\n" + rest + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy"),
                arguments("a negative Content-Length",
                        "POST /streams/a HTTP/1.1\r\n" + rest + "Content-Length: -5\r\n\r\nx"),
                arguments("Content-Length and Transfer-Encoding",
                        "POST /streams/a HTTP/1.1\r\n" + rest + "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "1\r\nx\r\n0\r\n\r\n"),
                arguments("a request line without a version", "GET /healthz\r\nHost: 127.0.0.1\r\n\r\n"),
                arguments("a version that is not HTTP's", "GET /healthz FOO/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
                arguments("the HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
                arguments("TLS on the plain port", "\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003"),
                // One byte over the limit and no more, so the relay has read everything it was sent
                // when it closes, and the close cannot turn into a reset that loses the answer.
                arguments("a head over 64 KiB", oversized
                        + "a".repeat(Relay.MAX_REQUEST_HEAD_BYTES + 1 - oversized.length())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unparsableHeads")
    void anUnparsableRequestHeadGetsAJson400AndTheConnectionIsClosed(String what, String request) {
        try (RawHttp client = RawHttp.connect("127.0.0.1", relay.relay().address().getPort(), Duration.ofSeconds(30))) {
            client.send(request);
            RawHttp.Response response = client.readResponse();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.headers()).containsEntry("content-type", "application/json")
                    .containsEntry("connection", "close");
            assertThat(response.body()).isEqualTo(error("malformed_request", MALFORMED_REQUEST));
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    /** Requests before the unparsable one on the same connection keep their answers. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unparsableHeads")
    void aPipelinedRequestBeforeAnUnparsableHeadIsAnsweredFirst(String what, String request) {
        try (RawHttp client = RawHttp.connect("127.0.0.1", relay.relay().address().getPort(), Duration.ofSeconds(30))) {
            client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + request);
            assertThat(client.readResponse().body()).isEqualTo("{\"status\":\"ok\"}");
            RawHttp.Response refusal = client.readResponse();
            assertThat(refusal.status()).isEqualTo(400);
            assertThat(refusal.body()).isEqualTo(error("malformed_request", MALFORMED_REQUEST));
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    /**
     * Chunked bodies that break the chunked coding, one way each (ChunkedBodyDecoderTest has them
     * all), sent with their head or once the relay reads the body (after its 100 Continue).
     */
    static Stream<Arguments> malformedChunkedBodies() {
        return Stream.of(
                arguments("zz\r\nx\r\n0\r\n\r\n", "the chunk size line 'zz' is not hexadecimal"),
                arguments("-1\r\nx\r\n0\r\n\r\n", "the chunk size line '-1' is not hexadecimal"),
                arguments("1\r\nx\r\n\r\n0\r\n\r\n", "a chunk size line is empty: a chunk starts with its size in hexadecimal"),
                arguments("10000000000000000\r\nx\r\n0\r\n\r\n", "the chunk size '10000000000000000' is too large"),
                arguments("1\r\nxy\r\n0\r\n\r\n", "a chunk's data is not followed by CRLF where its size says it ends"),
                arguments("1;" + "e".repeat(1024) + "\r\nx\r\n0\r\n\r\n",
                        "a chunk size line is longer than 1024 bytes (with its extensions)"),
                arguments("1\r\nx\r\n0\r\n" + "X-Trailer: t\r\n".repeat(600) + "\r\n",
                        "the trailer section is longer than 8192 bytes"))
                .flatMap(row -> Stream.of("with its head", "after 100 Continue")
                        .map(when -> arguments(row.get()[0], row.get()[1], when)));
    }

    @ParameterizedTest(name = "{1}, sent {2}")
    @MethodSource("malformedChunkedBodies")
    void aMalformedChunkedBodyGetsAJson400AndTheConnectionIsClosed(String body, String message, String when) {
        try (RawHttp client = RawHttp.connect("127.0.0.1", relay.relay().address().getPort(), Duration.ofSeconds(30))) {
            String head = "POST /streams/a HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestRelay.TOKEN
                    + "\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n";
            if (when.equals("with its head")) {
                client.send(head + "\r\n" + body);
            } else {
                client.send(head + "Expect: 100-continue\r\n\r\n");
                assertThat(client.readResponse().status()).isEqualTo(100);
                client.send(body);
            }
            RawHttp.Response response = client.readResponse();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.headers()).containsEntry("content-type", "application/json")
                    .containsEntry("connection", "close");
            assertThat(response.body()).isEqualTo(error("malformed_chunk", message));
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    @Test
    void rejectsABodyThatIsNotUtf8() {
        HttpResponse<String> response = relay.request("POST", "/streams/a", TEXT, new byte[] {'o', 'k', (byte) 0xC3},
                Map.of());
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).isEqualTo(error("invalid_utf8", "the body is not valid UTF-8"));
    }

    @Test
    void tellsWhichMethodsAnEndpointAllows() {
        HttpResponse<String> response = relay.request("DELETE", "/streams/a", null, null, Map.of());
        assertThat(response.headers().firstValue("Allow")).hasValue("GET, POST");
    }

    @Test
    void aRejectedBatchPublishesNoneOfItsEvents() {
        try (SseClient subscriber = relay.subscribe("/streams/a")) {
            org.awaitility.Awaitility.await().until(() -> subscriber.lastEventId() != null);
            HttpResponse<String> response = relay.post("/publish", JSON,
                    "[{\"stream\":\"a\",\"data\":\"1\"},{\"stream\":\"a\",\"data\":\"2\"},{\"stream\":\"a\",\"event\":\"reset\",\"data\":\"3\"}]",
                    Map.of());
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(subscriber.eventCount()).isZero();
        }
        org.awaitility.Awaitility.await().until(() -> relay.metric("sserelay_connections") == 0);
    }

    static String error(String code, String message) {
        return "{\"error\":\"" + code + "\",\"message\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    }
}
