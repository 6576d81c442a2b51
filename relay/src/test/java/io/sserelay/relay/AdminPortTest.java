package io.sserelay.relay;

import io.sserelay.relay.config.ConfigException;
import io.sserelay.relay.config.RelayConfig;
import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Metrics live on the admin port, which the operator's Service does not expose; the public port
 * keeps only what publishers, subscribers, browsers and probes use.
 */
class AdminPortTest {

    private static TestRelay relay;

    @BeforeAll
    static void start() {
        relay = TestRelay.start();
    }

    @AfterAll
    static void stop() {
        relay.close();
    }

    private static RawHttp.Response onPublicPort(String request) {
        return RawHttp.exchange(relay.relay().address().getHostString(), relay.relay().address().getPort(), request);
    }

    private static RawHttp.Response onAdminPort(String request) {
        return RawHttp.exchange(relay.relay().adminAddress().getHostString(), relay.relay().adminAddress().getPort(),
                request);
    }

    @Test
    void metricsAreOnTheAdminPortAndNotOnThePublicOne() {
        relay.publish("counted", "one");
        RawHttp.Response metrics = onAdminPort("GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.headers().get("content-type")).startsWith("text/plain; version=0.0.4");
        assertThat(metrics.body()).contains("sserelay_events_published_total 1.0", "sserelay_ready 1.0",
                "jvm_memory_used_bytes");

        RawHttp.Response hidden = onPublicPort("GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n");
        assertThat(hidden.status()).isEqualTo(404);
        assertThat(hidden.body()).contains("\"not_found\"", "admin port (RELAY_ADMIN_PORT)")
                .doesNotContain("sserelay_");
    }

    @Test
    void healthIsAnsweredOnBothPortsForProbes() {
        for (RawHttp.Response response : new RawHttp.Response[] {
                onAdminPort("GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n"),
                onPublicPort("GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")}) {
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("{\"status\":\"ok\"}");
        }
        assertThat(onAdminPort("GET /readyz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n").body())
                .isEqualTo("{\"status\":\"ready\"}");
    }

    @Test
    void theAdminPortServesNothingElseAndRefusesWhatItDoesNotTake() {
        RawHttp.Response stream = onAdminPort("GET /streams/news HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n");
        assertThat(stream.status()).isEqualTo(404);
        assertThat(stream.body()).contains("no such endpoint on the admin port: /streams/news");

        RawHttp.Response post = onAdminPort("POST /metrics HTTP/1.1\r\nHost: relay\r\nContent-Length: 1\r\n"
                + "Connection: close\r\n\r\nx");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.headers().get("allow")).isEqualTo("GET, HEAD");

        RawHttp.Response parameter = onAdminPort("GET /metrics?name=x HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n");
        assertThat(parameter.status()).isEqualTo(400);
        assertThat(parameter.body()).contains("name");

        RawHttp.Response garbage = onAdminPort("GET /%zz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n");
        assertThat(garbage.status()).isEqualTo(400);
    }

    @Test
    void theAdminPortMustBeAPortOfItsOwn() {
        assertThatThrownBy(() -> RelayConfig.fromEnvironment(Map.of("RELAY_HTTP_PORT", "8080", "RELAY_ADMIN_PORT", "8080")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("RELAY_ADMIN_PORT='8080' is also the public port (RELAY_HTTP_PORT)");
        assertThatThrownBy(() -> RelayConfig.fromEnvironment(Map.of("RELAY_PEER_TOKEN", "a-peer-token-0123456789",
                "RELAY_BIND_ADDRESS", "127.0.0.1", "RELAY_PEERS", "127.0.0.2:7070", "RELAY_ADMIN_PORT", "7070")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("RELAY_ADMIN_PORT='7070' is also the peer port (RELAY_PEER_PORT)");
        assertThatThrownBy(() -> RelayConfig.fromEnvironment(Map.of("RELAY_ADMIN_PORT", "70000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("RELAY_ADMIN_PORT");
        assertThat(RelayConfig.defaults().adminPort()).isEqualTo(9090);
    }
}
