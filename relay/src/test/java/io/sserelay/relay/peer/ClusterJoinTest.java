package io.sserelay.relay.peer;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.sserelay.relay.peer.PeerLink.Contact.ANSWERED;
import static io.sserelay.relay.peer.PeerLink.Contact.FOLLOWING;
import static io.sserelay.relay.peer.PeerLink.Contact.NOT_TRIED;
import static io.sserelay.relay.peer.PeerLink.Contact.SHUTTING_DOWN;
import static io.sserelay.relay.peer.PeerLink.Contact.UNREACHABLE;
import static org.assertj.core.api.Assertions.assertThat;

/** The rule for when a clustered relay may take traffic, on views of its cluster, without sockets. */
class ClusterJoinTest {

    private static final PeerAddress A = new PeerAddress("10.0.0.1", 7070);
    private static final PeerAddress B = new PeerAddress("10.0.0.2", 7070);
    private static final PeerAddress C = new PeerAddress("10.0.0.3", 7070);

    @Test
    void aRelayWaitsForItsPeerSetThenForEveryPeerThatAnswersToFollowBothWays() {
        assertThat(ClusterJoin.missing(new ClusterJoin.View(false, Map.of(), Set.of(), false), false))
                .containsExactly(ClusterJoin.PEER_SET_UNREAD);
        assertThat(ClusterJoin.missing(view(Map.of(A, NOT_TRIED), Set.of(), false), false)).containsExactly(
                "peer 10.0.0.1:7070 (neither follows the other yet; not contacted yet)");
        assertThat(ClusterJoin.missing(view(Map.of(A, ANSWERED, B, FOLLOWING), Set.of(A), true), false))
                .containsExactly("peer 10.0.0.1:7070 (this relay does not follow it yet)",
                        "peer 10.0.0.2:7070 (it does not follow this relay yet)");
        assertThat(ClusterJoin.missing(view(Map.of(A, FOLLOWING, B, FOLLOWING), Set.of(A, B), true), true)).isEmpty();
    }

    @Test
    void peersNobodyAnswersForOrThatAreShuttingDownAreNotWaitedFor() {
        assertThat(ClusterJoin.missing(view(Map.of(A, FOLLOWING, B, UNREACHABLE, C, SHUTTING_DOWN), Set.of(A), true),
                true)).isEmpty();
        assertThat(ClusterJoin.missing(view(Map.of(), Set.of(), false), true)).as("alone in its set").isEmpty();
    }

    @Test
    void withReplicatedAcknowledgementAPeerThatAnswersMustStandReadyToAcknowledge() {
        assertThat(ClusterJoin.missing(view(Map.of(A, UNREACHABLE, B, UNREACHABLE), Set.of(), false), true))
                .as("no peer answers: as good as alone, it serves subscribers and answers publishes 503").isEmpty();
        assertThat(ClusterJoin.missing(view(Map.of(A, FOLLOWING), Set.of(A), false), true))
                .as("a follower of an earlier version does not acknowledge")
                .containsExactly("a peer that acknowledges publishes (replicated acknowledgement); none of the peers"
                        + " that answer does");
    }

    @Test
    void onceJoinedARelayStaysReadyWhateverBecomesOfItsPeers() {
        AtomicReference<ClusterJoin.View> now = new AtomicReference<>(view(Map.of(A, NOT_TRIED), Set.of(), false));
        ClusterJoin join = new ClusterJoin(now::get, true, System::nanoTime);
        assertThat(join.ready()).isFalse();
        assertThat(join.state()).isEqualTo(ClusterJoin.State.CONNECTING);
        now.set(view(Map.of(A, FOLLOWING), Set.of(A), true));
        assertThat(join.ready()).isTrue();
        now.set(view(Map.of(A, ANSWERED), Set.of(), false));
        assertThat(join.ready()).as("a peer lost later does not take this relay out of its Service").isTrue();
        assertThat(join.waitingFor()).isEmpty();
        assertThat(join.state()).isEqualTo(ClusterJoin.State.JOINED);
    }

    @Test
    void whatItWaitsForIsReportedOnlyAfterTheBoundAndThenAtThatPace() {
        AtomicLong clock = new AtomicLong(1);
        Map<PeerAddress, PeerLink.Contact> contacts = new HashMap<>(Map.of(A, ANSWERED));
        List<String> reports = new java.util.ArrayList<>();
        ClusterJoin join = new ClusterJoin(() -> view(contacts, Set.of(), false), false, clock::get);
        // report() logs when a report is due; the schedule is what this test pins.
        for (int second = 1; second <= 35; second++) {
            clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
            if (join.reportDue()) {
                reports.add("at " + second + " s");
            }
        }
        assertThat(reports).containsExactly("at 10 s", "at 20 s", "at 30 s");
        contacts.clear();
        assertThat(join.ready()).isTrue();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(60));
        assertThat(join.reportDue()).as("a joined relay has nothing to report").isFalse();
    }

    private static ClusterJoin.View view(Map<PeerAddress, PeerLink.Contact> contacts, Set<PeerAddress> followers,
            boolean acknowledgerFollows) {
        return new ClusterJoin.View(true, contacts, followers, acknowledgerFollows);
    }
}
