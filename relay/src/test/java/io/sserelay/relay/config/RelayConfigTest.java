package io.sserelay.relay.config;

import io.sserelay.relay.stream.HistoryLimits;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RelayConfigTest {

    @Test
    void runsStandaloneWithNothingSetAndMakesUpAPublishToken() {
        RelayConfig config = RelayConfig.defaults();
        assertThat(config.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(config.httpPort()).isEqualTo(8080);
        assertThat(config.history().maxEventsPerStream()).isEqualTo(1000);
        assertThat(config.history().maxAge()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.sse().heartbeat()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config.sse().bufferBytes()).isEqualTo(1 << 20);
        assertThat(config.publish().maxEventBytes()).isEqualTo(64 << 10);
        assertThat(config.publishTokenGenerated()).isTrue();
        assertThat(config.publishToken()).hasSizeGreaterThanOrEqualTo(32);
        assertThat(RelayConfig.defaults().publishToken()).isNotEqualTo(config.publishToken());
        assertThat(config.subscribeToken()).isNull();
    }

    @Test
    void readsUnitsForSizesAndDurations() {
        RelayConfig config = RelayConfig.fromEnvironment(Map.of(
                "RELAY_HEARTBEAT", "500ms",
                "RELAY_HISTORY_MAX_AGE", "2h",
                "RELAY_MAX_EVENT_BYTES", "1Mi",
                "RELAY_SUBSCRIBER_BUFFER_BYTES", "2Mi",
                "RELAY_HISTORY_MAX_BYTES", "1Gi",
                "RELAY_CORS_ALLOWED_ORIGINS", "https://a.example.com, http://localhost:3000"), 8L << 30);
        assertThat(config.sse().heartbeat()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.history().maxAge()).isEqualTo(Duration.ofHours(2));
        assertThat(config.publish().maxEventBytes()).isEqualTo(1 << 20);
        assertThat(config.sse().bufferBytes()).isEqualTo(2 << 20);
        assertThat(config.history().maxBytes()).isEqualTo(1L << 30);
        assertThat(config.corsAllowedOrigins()).containsExactly("https://a.example.com", "http://localhost:3000");
    }

    @Test
    void reportsEveryProblemAtOnceNamingTheVariableAndTheRule() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> RelayConfig.fromEnvironment(Map.of(
                "RELAY_HTTP_PORT", "http",
                "RELAY_HEARTBEAT", "15 sec",
                "RELAY_MAX_EVENT_BYTES", "2Mi",
                "RELAY_HISTORY_MAX_EVENTS", "-1",
                "RELAY_PUBLISH_AUTH_DISABLED", "yes",
                "RELAY_SUBSCRIBE_AUTH", "oauth",
                "RELAY_CORS_ALLOWED_ORIGINS", "https://app.example.com/path")));
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "RELAY_HTTP_PORT='http' is not a whole number",
                "RELAY_HEARTBEAT='15 sec' is not a duration: use a number with ms, s, m or h, e.g. 15s",
                "RELAY_MAX_EVENT_BYTES='2Mi' must be between 1 and 1Mi",
                "RELAY_HISTORY_MAX_EVENTS='-1' must be between 0 and 1000000",
                "RELAY_PUBLISH_AUTH_DISABLED='yes' must be true or false",
                "RELAY_SUBSCRIBE_AUTH='oauth' must be one of none, token, jwt",
                "RELAY_CORS_ALLOWED_ORIGINS='https://app.example.com/path' is not an origin: use scheme://host[:port]"
                        + " without a path, e.g. https://app.example.com, or *");
    }

    @Test
    void requiresTokensThatAreLongEnoughAndConsistentWithTheAuthSettings() {
        assertThat(problems(Map.of("RELAY_PUBLISH_TOKEN", "short")))
                .containsExactly("RELAY_PUBLISH_TOKEN is 5 characters long; use at least 16");
        assertThat(problems(Map.of("RELAY_PUBLISH_TOKEN", "0123456789abcdef0", "RELAY_PUBLISH_AUTH_DISABLED", "true")))
                .containsExactly("RELAY_PUBLISH_TOKEN is set and RELAY_PUBLISH_AUTH_DISABLED=true: set one or the other");
        assertThat(problems(Map.of("RELAY_SUBSCRIBE_AUTH", "token")))
                .containsExactly("RELAY_SUBSCRIBE_AUTH=token needs RELAY_SUBSCRIBE_TOKEN");
        assertThat(problems(Map.of("RELAY_SUBSCRIBE_TOKEN", "0123456789abcdef0")))
                .containsExactly("RELAY_SUBSCRIBE_TOKEN is set but RELAY_SUBSCRIBE_AUTH is not 'token': set both or neither");
        assertThat(problems(Map.of("RELAY_PUBLISH_TOKEN", "0123456789 abcdef")))
                .containsExactly("RELAY_PUBLISH_TOKEN must not contain spaces or control characters");
    }

    @Test
    void peersComeFromOnePlaceWithTheTokenTheyNeed() {
        assertThat(problems(Map.of("RELAY_SSERELAY_NAME", "news", "RELAY_PEER_TOKEN", "0123456789abcdef0",
                "RELAY_ADVERTISE_ADDRESS", "10.0.0.2")))
                .containsExactly("RELAY_SSERELAY_NAME needs RELAY_SSERELAY_NAMESPACE, the namespace of the SseRelay");
        assertThat(problems(Map.of("RELAY_SSERELAY_NAME", "news", "RELAY_SSERELAY_NAMESPACE", "prod",
                "RELAY_PEERS", "10.0.0.1:7070", "RELAY_PEER_TOKEN", "0123456789abcdef0",
                "RELAY_ADVERTISE_ADDRESS", "10.0.0.2")))
                .containsExactly("RELAY_PEERS and RELAY_SSERELAY_NAME both name the peers: set one or the other");
        assertThat(problems(Map.of("RELAY_SSERELAY_NAME", "news", "RELAY_SSERELAY_NAMESPACE", "prod",
                "RELAY_PEER_TOKEN", "0123456789abcdef0", "RELAY_PEER_PORT", "0", "RELAY_ADVERTISE_ADDRESS", "10.0.0.2:7070")))
                .containsExactly("RELAY_SSERELAY_NAME needs a fixed RELAY_PEER_PORT, not 0: the status lists only"
                        + " addresses, and relays reach each other on this port");
        assertThat(problems(Map.of("RELAY_PEERS", "10.0.0.1:7070", "RELAY_ADVERTISE_ADDRESS", "10.0.0.2")))
                .containsExactly("RELAY_PEERS needs RELAY_PEER_TOKEN, the secret all relays of the cluster share");
        assertThat(problems(Map.of("RELAY_BIND_ADDRESS", "10.0.0.2", "RELAY_PEERS", "10.0.0.1:7070",
                "RELAY_PEER_TOKEN", "0123456789abcdef0", "RELAY_PEER_PORT", "0")))
                .containsExactly("RELAY_PEER_PORT cannot be 0 (an ephemeral port) on a clustered relay: its peers know"
                        + " it by its peer address, which must be the same in every view and after a restart");
        assertThat(problems(Map.of("RELAY_PEERS", "10.0.0.1", "RELAY_PEER_TOKEN", "0123456789abcdef0",
                "RELAY_ADVERTISE_ADDRESS", "10.0.0.2")))
                .containsExactly("RELAY_PEERS: '10.0.0.1' is not host:port");
        assertThat(problems(Map.of("RELAY_PEERS", "10.0.0.1:7070", "RELAY_PEER_TOKEN", "0123456789abcdef0",
                "RELAY_ADVERTISE_ADDRESS", "10.0.0.2")))
                .containsExactly("RELAY_PEERS must list this relay too (10.0.0.2:7070): it is the cluster's view, the"
                        + " same list for every relay, and a relay serves only as a member of it");
        assertThat(RelayConfig.fromEnvironment(Map.of("RELAY_PEERS", "10.0.0.1:7070,10.0.0.2:7070", "RELAY_PEER_TOKEN",
                "0123456789abcdef0", "RELAY_ADVERTISE_ADDRESS", "10.0.0.2")).peers()).hasSize(2);
        assertThat(problems(Map.of("RELAY_PEER_TOKEN", "0123456789abcdef0")))
                .containsExactly("RELAY_ADVERTISE_ADDRESS is needed when RELAY_BIND_ADDRESS is 0.0.0.0: peers must"
                        + " know which address reaches this relay");
    }

    @Test
    void refusesABufferSmallerThanOneEvent() {
        assertThat(problems(Map.of("RELAY_MAX_EVENT_BYTES", "512Ki", "RELAY_SUBSCRIBER_BUFFER_BYTES", "256Ki")))
                .containsExactly("RELAY_SUBSCRIBER_BUFFER_BYTES (256Ki) must be at least RELAY_MAX_EVENT_BYTES (512Ki),"
                        + " or every subscriber would be cut off by one large event");
    }

    @Test
    void sizesTheMemoryBudgetsFromTheHeapUnlessTold() {
        RelayConfig config = RelayConfig.fromEnvironment(Map.of(), 128L << 20);
        assertThat(config.history().maxBytes()).isEqualTo(32L << 20);
        assertThat(config.history().maxStreams()).isEqualTo(1_000_000);
        assertThat(config.history().maxTombstones()).isEqualTo(65_536);
        assertThat(config.connectionsMaxBytes()).isEqualTo((long) ((128L << 20) * 0.35));
        assertThat(config.sse().queuesMaxBytes()).isEqualTo((long) ((128L << 20) * 0.1));
        assertThat(config.publishMaxPendingBytes()).isEqualTo((long) ((128L << 20) * 0.1));
        assertThat(config.maxConnectionsPerAddress()).isZero();
        assertThat(config.maxConnections()).isEqualTo(11_468);

        RelayConfig small = RelayConfig.fromEnvironment(Map.of(), 64L << 20);
        assertThat(small.publishMaxPendingBytes()).as("room for two of the largest batches").isEqualTo(8L << 20);

        RelayConfig told = RelayConfig.fromEnvironment(Map.of("RELAY_HISTORY_MAX_BYTES", "16Mi",
                "RELAY_HISTORY_MAX_STREAMS", "5000", "RELAY_HISTORY_MAX_TOMBSTONES", "0",
                "RELAY_CONNECTIONS_MAX_BYTES", "64Mi", "RELAY_MAX_CONNECTIONS_PER_ADDRESS", "100",
                "RELAY_PUBLISH_MAX_PENDING_BYTES", "8Mi"), 128L << 20);
        assertThat(told.history()).isEqualTo(new HistoryLimits(1000, Duration.ofMinutes(10), 16L << 20, 5000, 0));
        assertThat(told.connectionsMaxBytes()).isEqualTo(64L << 20);
        assertThat(told.maxConnectionsPerAddress()).isEqualTo(100);
        assertThat(told.publishMaxPendingBytes()).isEqualTo(8L << 20);
    }

    @Test
    void refusesBudgetsThatDoNotFitTheHeap() {
        assertThat(catchThrowableOfType(ConfigException.class, () -> RelayConfig.fromEnvironment(
                Map.of("RELAY_HISTORY_MAX_BYTES", "96Mi"), 128L << 20)).problems())
                .containsExactly("the memory budgets RELAY_HISTORY_MAX_BYTES (96.0 MiB), RELAY_CONNECTIONS_MAX_BYTES"
                        + " (44.8 MiB), RELAY_PUBLISH_MAX_PENDING_BYTES (12.8 MiB) and RELAY_SUBSCRIBER_QUEUES_MAX_BYTES"
                        + " (12.8 MiB) add up to 166.4 MiB, more than 85% of the JVM's maximum heap (128.0 MiB): lower"
                        + " them, or give the JVM more memory (the container's memory limit, or -Xmx)");
        assertThat(catchThrowableOfType(ConfigException.class, () -> RelayConfig.fromEnvironment(
                Map.of("RELAY_PUBLISH_MAX_PENDING_BYTES", "2Mi"), 1L << 30)).problems())
                .containsExactly("RELAY_PUBLISH_MAX_PENDING_BYTES (2Mi) must be at least RELAY_MAX_BATCH_BYTES (4Mi),"
                        + " or a batch of the largest size could never be accepted");
    }

    @Test
    void closesIdleConnectionsAfterAMinuteOrTwoHeartbeatsButNeverBetweenHeartbeats() {
        assertThat(RelayConfig.defaults().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(RelayConfig.fromEnvironment(Map.of("RELAY_HEARTBEAT", "5m")).idleTimeout())
                .isEqualTo(Duration.ofMinutes(10));
        assertThat(problems(Map.of("RELAY_IDLE_TIMEOUT", "20s")))
                .containsExactly("RELAY_IDLE_TIMEOUT (20000 ms) must be at least twice RELAY_HEARTBEAT (15000 ms), or"
                        + " quiet streams would be closed between heartbeats");
    }

    @Test
    void acknowledgesPublishesAfterReplicationInAClusterUnlessToldLocal() {
        assertThat(RelayConfig.defaults().replicatedAck()).as("a relay on its own has nobody to wait for").isFalse();
        RelayConfig clustered = RelayConfig.fromEnvironment(Map.of("RELAY_PEER_TOKEN", "0123456789abcdef0",
                "RELAY_BIND_ADDRESS", "127.0.0.1"));
        assertThat(clustered.publishAck()).isEqualTo(RelayConfig.PublishAck.REPLICATED);
        assertThat(clustered.publishAckTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(clustered.replicatedAck()).isTrue();
        RelayConfig local = RelayConfig.fromEnvironment(Map.of("RELAY_PEER_TOKEN", "0123456789abcdef0",
                "RELAY_BIND_ADDRESS", "127.0.0.1", "RELAY_PUBLISH_ACK", "local", "RELAY_PUBLISH_ACK_TIMEOUT", "250ms"));
        assertThat(local.replicatedAck()).isFalse();
        assertThat(local.publishAckTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(problems(Map.of("RELAY_PUBLISH_ACK", "quorum", "RELAY_PUBLISH_ACK_TIMEOUT", "5ms")))
                .containsExactly("RELAY_PUBLISH_ACK='quorum' must be one of replicated, local",
                        "RELAY_PUBLISH_ACK_TIMEOUT='5ms' must be between 10ms and 1m");
    }

    @Test
    void treatsBlankValuesAsUnset() {
        assertThat(RelayConfig.fromEnvironment(Map.of("RELAY_HTTP_PORT", "  ")).httpPort()).isEqualTo(8080);
    }

    @Test
    void neverPrintsTokens() {
        RelayConfig config = RelayConfig.fromEnvironment(Map.of("RELAY_PUBLISH_TOKEN", "secret-secret-secret"));
        assertThat(config.toString()).doesNotContain("secret-secret-secret");
        assertThatThrownBy(() -> RelayConfig.fromEnvironment(Map.of("RELAY_BIND_ADDRESS", "no-such-host.invalid")))
                .hasMessage("RELAY_BIND_ADDRESS='no-such-host.invalid' is not an address of this host");
    }

    @Test
    void aJwksUrlMustBeHttpsAndNoMessageShowsItsCredentials() {
        Map<String, String> jwt = Map.of("RELAY_PUBLISH_AUTH_DISABLED", "true", "RELAY_SUBSCRIBE_AUTH", "jwt");
        Map<String, String> invalid = new HashMap<>(jwt);
        invalid.put("RELAY_JWT_JWKS_URL", "https://admin:hunter2@keys example.test/jwks?sig=s3cr3t");
        String message = catchThrowableOfType(ConfigException.class, () -> RelayConfig.fromEnvironment(invalid))
                .getMessage();
        assertThat(message).contains("RELAY_JWT_JWKS_URL='https://...@keys example.test/jwks?...' is not a URL")
                .doesNotContain("hunter2").doesNotContain("admin").doesNotContain("s3cr3t");

        Map<String, String> plain = new HashMap<>(jwt);
        plain.put("RELAY_JWT_JWKS_URL", "http://user:pw@keys.example.test/jwks.json?token=t0k3n");
        assertThat(problems(plain)).singleElement().asString()
                .startsWith("RELAY_JWT_JWKS_URL='http://...@keys.example.test/jwks.json?...' is plain http")
                .doesNotContain("pw").doesNotContain("t0k3n");

        for (String loopback : List.of("http://127.0.0.1:8081/jwks.json", "http://localhost/jwks.json",
                "http://[::1]:9000/jwks")) {
            Map<String, String> local = new HashMap<>(jwt);
            local.put("RELAY_JWT_JWKS_URL", loopback);
            assertThat(RelayConfig.fromEnvironment(local).jwt().keys()).as(loopback)
                    .isInstanceOf(io.sserelay.relay.auth.JwtSettings.JwksUrl.class);
        }
        plain.put("RELAY_JWT_JWKS_URL", "http://keys.example.test/jwks.json");
        plain.put("RELAY_JWT_JWKS_ALLOW_HTTP", "true");
        assertThat(RelayConfig.fromEnvironment(plain).toString()).contains("jwks http://keys.example.test/jwks.json");
    }

    private static List<String> problems(Map<String, String> env) {
        return catchThrowableOfType(ConfigException.class, () -> RelayConfig.fromEnvironment(env)).problems();
    }
}
