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
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A relay that starts, or starts again, reports ready only once it has joined its cluster: it is
 * a member of the view it read from its SseRelay status, and every member has handed it what it
 * holds of the streams it now owns. Before that its readiness probe fails, so it gets no traffic,
 * and its admin port says what it waits for.
 */
class JoiningTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aNewRelayTakesNoTrafficUntilItIsInTheViewAndEveryMemberHandedOver() throws Exception {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            int fresh = cluster.addUnread(Map.of());
            JsonNode unread = readyz(cluster.relay(fresh));
            assertThat(unread.path("status").asText()).isEqualTo("joining");
            assertThat(unread.path("waitingFor").get(0).asText()).isEqualTo("the cluster's view in the SseRelay status"
                    + " (status.peers and status.peersGeneration)");
            assertThat(cluster.relay(fresh).get("/readyz", Map.of()).body())
                    .as("the public port does not name peers").isEqualTo("{\"status\":\"joining\"}");

            // A view without it: it is not a member yet.
            Set<PeerAddress> others = Set.of(cluster.peerAddress(0), cluster.peerAddress(1));
            cluster.peerSource(fresh).set(cluster.nextView(others, Set.of()));
            await().until(() -> waitingFor(cluster.relay(fresh)).contains("this relay (" + cluster.peerAddress(fresh)
                    + ") among the peers of the view"));

            // A view with a member that never answers: nobody may number the streams that member held.
            PeerAddress silent = new PeerAddress("127.0.0.99", TestCluster.PEER_PORT);
            Set<PeerAddress> withSilent = new HashSet<>(cluster.allAddresses());
            withSilent.add(silent);
            cluster.peerSource(fresh).set(cluster.nextView(withSilent, Set.of()));
            await().until(() -> waitingFor(cluster.relay(fresh)).contains("the handover of " + silent));
            assertThat(readyz(cluster.relay(fresh)).path("status").asText()).isEqualTo("joining");

            cluster.publishView(cluster.allAddresses(), Set.of());
            await().until(() -> readyz(cluster.relay(fresh)).path("status").asText().equals("ready"));
            try (SseClient elsewhere = cluster.relay(0).subscribe("/streams/joined")) {
                await().until(() -> elsewhere.lastEventId() != null);
                assertThat(cluster.relay(fresh).post("/streams/joined", "text/plain", "hello",
                        Map.of("Authorization", "Bearer " + TestRelay.TOKEN)).statusCode()).isEqualTo(202);
                elsewhere.awaitEvents(1);
                assertThat(elsewhere.data()).containsExactly("hello");
            }
        }
    }

    @Test
    void aRestartedRelayIsReadyOnceItRejoinedAndAPublishToItIsReplicated() throws Exception {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            cluster.stop(1);
            cluster.restartUnread(1, Map.of());
            assertThat(readyz(cluster.relay(1)).path("status").asText()).isEqualTo("joining");
            cluster.publishView(cluster.allAddresses(), Set.of());
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
