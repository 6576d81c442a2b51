package io.sserelay.relay.support;

import io.sserelay.relay.Relay;
import io.sserelay.relay.config.RelayConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A relay running in the test's JVM on 127.0.0.1 and an ephemeral port, plus HTTP helpers. */
public final class TestRelay implements AutoCloseable {

    public static final String TOKEN = "test-publish-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** How long a test's request waits for its answer at most; none takes nearly as long. */
    public static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);

    private final Relay relay;
    private final String base;
    private final String adminBase;

    private TestRelay(Relay relay) {
        this.relay = relay;
        this.base = "http://" + relay.address().getHostString() + ":" + relay.address().getPort();
        this.adminBase = "http://" + relay.adminAddress().getHostString() + ":" + relay.adminAddress().getPort();
    }

    /** Test helpers around a relay started elsewhere. */
    public static TestRelay wrap(Relay relay) {
        return new TestRelay(relay);
    }

    /** Starts a relay with the test defaults, overridden by {@code env}. */
    public static TestRelay start(Map<String, String> env) {
        Map<String, String> all = new HashMap<>();
        all.put("RELAY_BIND_ADDRESS", "127.0.0.1");
        all.put("RELAY_HTTP_PORT", "0");
        all.put("RELAY_ADMIN_PORT", "0");
        all.put("RELAY_PUBLISH_TOKEN", TOKEN);
        all.put("RELAY_DRAIN_TIMEOUT", "2s");
        all.putAll(env);
        all.values().removeIf(v -> v == null);
        return new TestRelay(new Relay(RelayConfig.fromEnvironment(all)).start());
    }

    public static TestRelay start() {
        return start(Map.of());
    }

    public Relay relay() {
        return relay;
    }

    public String url(String path) {
        return base + path;
    }

    /** A URL on the admin port, where {@code /metrics} is. */
    public String adminUrl(String path) {
        return adminBase + path;
    }

    /** The relay's Prometheus exposition, from its admin port. */
    public String metrics() {
        return send(HttpRequest.newBuilder(URI.create(adminUrl("/metrics"))).GET().build()).body();
    }

    public SseClient subscribe(String path) {
        return SseClient.connect(url(path));
    }

    public SseClient subscribe(String path, Map<String, String> headers) {
        return SseClient.connect(url(path), headers, true);
    }

    /** Publishes text and returns the id the relay assigned. */
    public String publish(String stream, String data) {
        HttpResponse<String> response = post("/streams/" + stream, "text/plain", data, Map.of());
        if (response.statusCode() != 202) {
            throw new IllegalStateException("publish failed: " + response.statusCode() + " " + response.body());
        }
        Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(response.body());
        if (!id.find()) {
            throw new IllegalStateException("no id in " + response.body());
        }
        return id.group(1);
    }

    /** A POST with the publish token unless {@code headers} says otherwise. */
    public HttpResponse<String> post(String path, String contentType, String body, Map<String, String> headers) {
        return request("POST", path, contentType, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), headers);
    }

    /** Any request, with the publish token unless {@code headers} sets Authorization. */
    public HttpResponse<String> request(String method, String path, String contentType, byte[] body,
            Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path)))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (!headers.containsKey("Authorization")) {
            request.header("Authorization", "Bearer " + TOKEN);
        }
        headers.forEach((name, value) -> {
            if (!value.isEmpty()) {
                request.header(name, value);
            }
        });
        return send(request.build());
    }

    public HttpResponse<String> get(String path, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path))).GET();
        headers.forEach(request::header);
        return send(request.build());
    }

    /** The value of one Prometheus sample, e.g. {@code sserelay_connections}. */
    public double metric(String sample) {
        return Metrics.value(metrics(), sample);
    }

    /**
     * Sends with {@link #ANSWER_TIMEOUT} unless the request has a timeout of its own. A relay that
     * never answers fails the test with the state of the relay's threads and sockets.
     */
    public static HttpResponse<String> send(HttpRequest request) {
        HttpRequest bounded = request.timeout().isPresent() ? request
                : HttpRequest.newBuilder(request, (name, value) -> true).timeout(ANSWER_TIMEOUT).build();
        try {
            return HTTP.send(bounded, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new IllegalStateException(request.method() + " " + request.uri() + " got no answer within "
                    + bounded.timeout().orElseThrow() + HangReport.describe(), e);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        relay.shutdown();
    }
}
