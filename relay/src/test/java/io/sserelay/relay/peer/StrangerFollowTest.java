package io.sserelay.relay.peer;

import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.TestCluster;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A follow request from a relay outside this relay's peer set, as happens whenever a new relay
 * starts: the relays read the operator's peer set each in its own time. The request waits for the
 * set to change instead of being refused into a backoff.
 */
class StrangerFollowTest {

    private static final PeerAddress NEWCOMER = new PeerAddress("127.0.0.99", 7070);

    @Test
    void aFollowRequestFromARelayNotInTheSetYetIsServedTheMomentTheSetNamesIt() {
        try (TestCluster cluster = TestCluster.start(1, Map.of());
             RawHttp follower = RawHttp.connect(cluster.peerAddress(0).host(), cluster.peerAddress(0).port(),
                     Duration.ofSeconds(20))) {
            PeerMesh mesh = cluster.relay(0).relay().mesh();
            follower.send(followRequest(NEWCOMER));
            await().until(() -> mesh.waitingStrangers() == 1);

            Set<PeerAddress> withNewcomer = new HashSet<>(cluster.allAddresses());
            withNewcomer.add(NEWCOMER);
            cluster.peerSource(0).set(withNewcomer);
            assertThat(follower.readResponseHead()).as("admitted, not refused").startsWith("HTTP/1.1 200");
            await().until(() -> mesh.followerCount() == 1);
            assertThat(mesh.waitingStrangers()).isZero();
        }
    }

    @Test
    void aRelayThatStaysOutsideTheSetIsRefusedOnceTheWaitIsOver() {
        try (TestCluster cluster = TestCluster.start(1, Map.of());
             RawHttp follower = RawHttp.connect(cluster.peerAddress(0).host(), cluster.peerAddress(0).port(),
                     Duration.ofSeconds(20))) {
            follower.send(followRequest(NEWCOMER));
            await("the request held, not refused at once").until(() -> cluster.relay(0).relay().mesh()
                    .waitingStrangers() == 1);
            RawHttp.Response refused = follower.readResponse();
            assertThat(refused.status()).isEqualTo(403);
            assertThat(refused.body()).contains("\"error\":\"not_a_peer\"");
            assertThat(cluster.relay(0).relay().mesh().waitingStrangers()).isZero();
        }
    }

    private static String followRequest(PeerAddress from) {
        return "GET " + PeerHandler.PATH + " HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " + TestCluster.PEER_TOKEN
                + "\r\nX-Relay-Peer: " + from + "\r\nConnection: close\r\n\r\n";
    }
}
