package io.sserelay.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestCluster;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A relay that starts, or starts again, reports ready only once it has joined its cluster: it has
 * read its peer set, follows every peer that answers and is followed by each, and a publish to it
 * can be acknowledged. Before that its readiness probe fails, so it gets no traffic, and its admin
 * port says what it waits for.
 */
class JoiningTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aNewRelayTakesNoTrafficUntilItFollowsItsPeersAndTheyFollowIt() throws Exception {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            int fresh = cluster.addUnread(Map.of());
            JsonNode unread = readyz(cluster.relay(fresh));
            assertThat(unread.path("status").asText()).isEqualTo("joining");
            assertThat(unread.path("waitingFor").get(0).asText())
                    .isEqualTo("the peer set (the SseRelay's status) to be read");
            assertThat(cluster.relay(fresh).get("/readyz", Map.of()).body())
                    .as("the public port does not name peers").isEqualTo("{\"status\":\"joining\"}");

            // It reads a set with everyone in it; the others have not read that set yet and refuse it.
            Set<PeerAddress> everyone = cluster.allAddresses();
            cluster.peerSource(fresh).set(everyone);
            await().until(() -> waitingFor(cluster.relay(fresh)).contains(
                    "peer " + cluster.peerAddress(0) + " (neither follows the other yet)"));
            assertThat(readyz(cluster.relay(fresh)).path("status").asText()).isEqualTo("joining");

            cluster.peerSource(0).set(everyone);
            cluster.peerSource(1).set(everyone);
            await().until(() -> readyz(cluster.relay(fresh)).path("status").asText().equals("ready"));
            for (int i = 0; i < 2; i++) {
                assertThat(cluster.relay(i).relay().mesh().followerCount()).isEqualTo(2);
            }
            try (SseClient elsewhere = cluster.relay(0).subscribe("/streams/joined")) {
                assertThat(cluster.relay(fresh).post("/streams/joined", "text/plain", "hello",
                        Map.of("Authorization", "Bearer " + TestRelay.TOKEN)).statusCode()).isEqualTo(202);
                elsewhere.awaitEvents(1);
                assertThat(elsewhere.data()).containsExactly("hello");
            }
        }
    }

    @Test
    void aRestartedRelayIsReadyOnlyOnceAPublishToItCanBeAcknowledged() throws Exception {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            cluster.stop(1);
            cluster.restartUnread(1, Map.of());
            cluster.peerSource(1).set(Set.of(cluster.peerAddress(0), cluster.peerAddress(1)));
            await().until(() -> waitingFor(cluster.relay(1)).contains(
                    "peer " + cluster.peerAddress(0) + " (neither follows the other yet)"));

            cluster.peerSource(0).set(cluster.allAddresses());
            await().until(() -> readyz(cluster.relay(1)).path("status").asText().equals("ready"));
            HttpResponse<String> publish = cluster.relay(1).post("/streams/back", "text/plain", "first",
                    Map.of("Authorization", "Bearer " + TestRelay.TOKEN));
            assertThat(publish.statusCode()).as(publish.body()).isEqualTo(202);
            assertThat(cluster.relay(1).metric("sserelay_publish_replicated_total")).isEqualTo(1);
        }
    }

    private static JsonNode readyz(TestRelay relay) throws Exception {
        HttpResponse<String> response = TestRelay.send(HttpRequest.newBuilder(URI.create(relay.adminUrl("/readyz")))
                .GET().build());
        JsonNode body = JSON.readTree(response.body());
        assertThat(response.statusCode()).isEqualTo(body.path("status").asText().equals("ready") ? 200 : 503);
        return body;
    }

    private static String waitingFor(TestRelay relay) throws Exception {
        return String.join("\n", StreamSupport.stream(readyz(relay).path("waitingFor").spliterator(), false)
                .map(JsonNode::asText).toList());
    }
}
