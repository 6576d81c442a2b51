package io.sserelay.relay;

import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestCluster;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A relay the operator takes out of the peer set (its pod is being deleted, and its preStop pause
 * keeps it alive a while) sends its subscribers to reconnect at once, to a relay that still gets
 * every event, instead of leaving them without live events until it is stopped.
 */
class LeavingTest {

    @Test
    void aRelayTakenOutOfItsPeerSetSendsItsSubscribersToAnotherWithoutGapOrDuplicate() {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            try (SseClient leaving = cluster.relay(1).subscribe("/streams/s")) {
                cluster.relay(0).publish("s", "before");
                leaving.awaitEvents(1);

                // Every relay reads the view without relay 1, which is leaving, as when its pod's deletion starts.
                cluster.publishView(Set.of(cluster.peerAddress(0)), Set.of(cluster.peerAddress(1)));
                leaving.awaitEnded();
                assertThat(leaving.frames().stream().flatMap(f -> f.comments().stream()))
                        .contains("relay leaving its cluster; reconnect to resume");
                assertThat(leaving.frames().get(leaving.frames().size() - 1).retry()).isNotNull();
                assertThat(leaving.data()).containsExactly("before");

                cluster.relay(0).publish("s", "after");
                try (SseClient resumed = SseClient.connect(cluster.relay(0).url("/streams/s"),
                        Map.of("Last-Event-ID", leaving.lastEventId()), true)) {
                    resumed.awaitEvents(1);
                    assertThat(resumed.events()).extracting(SseFrame::data).containsExactly("after");
                }
            }
            try (SseClient late = cluster.relay(1).subscribe("/streams/s")) {
                assertThat(late.status()).as("it still serves until it is stopped").isEqualTo(200);
            }
        }
    }
}
