package io.sserelay.relay;

import io.sserelay.relay.cluster.EventId;
import io.sserelay.relay.cluster.Placement;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestCluster;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several relays on their own loopback addresses, clustered over their peer ports: each stream
 * has one order on every relay, ids stay small, subscribers move between relays and resume
 * exactly, and a relay that stops or restarts loses nothing that was acknowledged.
 */
class ClusterTest {

    @Test
    void everySubscriberOnEveryRelaySeesOneOrderWhicheverRelaysThePublishersUse() throws Exception {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            List<SseClient> subscribers = new ArrayList<>();
            for (int i = 0; i < cluster.size(); i++) {
                subscribers.add(cluster.relay(i).subscribe("/streams/news"));
            }
            subscribers.forEach(s -> await().until(() -> s.lastEventId() != null));
            // One publisher per relay, all at once, into one stream.
            ExecutorService publishers = Executors.newFixedThreadPool(cluster.size());
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int r = 0; r < cluster.size(); r++) {
                    TestRelay via = cluster.relay(r);
                    String prefix = "r" + r + "-";
                    done.add(publishers.submit(() -> IntStream.range(0, 40).forEach(n -> via.publish("news", prefix + n))));
                }
                for (Future<?> publisher : done) {
                    publisher.get();
                }
            } finally {
                publishers.shutdownNow();
            }
            List<String> order = null;
            for (SseClient subscriber : subscribers) {
                subscriber.awaitEvents(120);
                assertThat(subscriber.data()).doesNotHaveDuplicates().hasSize(120);
                if (order == null) {
                    order = subscriber.data();
                }
                assertThat(subscriber.data()).as("one order on every relay").containsExactlyElementsOf(order);
                for (int r = 0; r < cluster.size(); r++) {
                    String prefix = "r" + r + "-";
                    assertThat(subscriber.data().stream().filter(d -> d.startsWith(prefix)).toList())
                            .as("each publisher's events in the order it published them")
                            .containsExactlyElementsOf(IntStream.range(0, 40).mapToObj(n -> prefix + n).toList());
                }
                assertThat(subscriber.events()).allSatisfy(event -> assertThat(event.id().length())
                        .as("an id names the event's place in its stream, whatever the cluster's size")
                        .isLessThanOrEqualTo(24));
                assertThat(subscriber.frames()).noneMatch(f -> "reset".equals(f.event()));
                subscriber.close();
            }
        }
    }

    @Test
    void onlyTheOwnerItsReplicaAndRelaysWithSubscribersHoldAStream() {
        try (TestCluster cluster = TestCluster.start(4, Map.of())) {
            List<String> members = cluster.relay(0).relay().cluster().status().view().members();
            String owner = Placement.owner(cluster.relay(0).relay().cluster().status().view(), "orders");
            String replica = Placement.replica(cluster.relay(0).relay().cluster().status().view(), "orders");
            for (int i = 0; i < cluster.size(); i++) {
                for (int n = 0; n < 25; n++) {
                    cluster.relay(i).publish("orders", "o" + i + "-" + n);
                }
            }
            for (int i = 0; i < cluster.size(); i++) {
                TestRelay relay = cluster.relay(i);
                boolean holds = relay.relay().self().equals(owner) || relay.relay().self().equals(replica);
                await().until(() -> relay.relay().cluster().retained().entries() == (holds ? 100 : 0));
            }
            assertThat(members).hasSize(4).contains(owner, replica);
        }
    }

    @Test
    void aSubscriberMovesToAnotherRelayAndResumesWithoutGapOrDuplicate() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            SseClient first = cluster.relay(0).subscribe("/streams/s");
            await().until(() -> first.lastEventId() != null);
            publish(cluster.relay(0), "s", "a", 0, 10);
            publish(cluster.relay(1), "s", "b", 0, 10);
            first.awaitEvents(20);
            first.closeAndWait();
            publish(cluster.relay(2), "s", "c", 0, 10);
            publish(cluster.relay(0), "s", "a", 10, 15);
            try (SseClient moved = cluster.relay(1).subscribe("/streams/s", Map.of("Last-Event-ID", first.lastEventId()))) {
                moved.awaitEvents(15);
                List<String> expected = new ArrayList<>(range("c", 0, 10));
                expected.addAll(range("a", 10, 15));
                assertThat(moved.data()).containsExactlyElementsOf(expected);
                assertThat(moved.frames()).noneMatch(f -> "reset".equals(f.event()));
            }
        }
    }

    @Test
    void aConnectionToSeveralStreamsResumesOnAnotherRelayFromItsPlaceInEach() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            SseClient first = cluster.relay(0).subscribe("/events?stream=a&stream=b");
            await().until(() -> first.lastEventId() != null && first.lastEventId().contains("a~")
                    && first.lastEventId().contains("b~"));
            publish(cluster.relay(1), "a", 0, 5);
            publish(cluster.relay(2), "b", 0, 5);
            first.awaitEvents(10);
            first.closeAndWait();
            publish(cluster.relay(2), "a", 5, 8);
            publish(cluster.relay(0), "b", 5, 8);
            try (SseClient moved = cluster.relay(2).subscribe("/events?stream=a&stream=b",
                    Map.of("Last-Event-ID", first.lastEventId()))) {
                moved.awaitEvents(6);
                assertThat(moved.data()).containsExactlyInAnyOrder("a5", "a6", "a7", "b5", "b6", "b7");
                assertThat(moved.events().stream().filter(e -> e.event().equals("a")).map(SseFrame::data).toList())
                        .containsExactly("a5", "a6", "a7");
                assertThat(moved.frames()).noneMatch(f -> "reset".equals(f.event()));
            }
        }
    }

    @Test
    void aRelayThatStopsLosesNothingAcknowledgedAndItsSubscribersResumeElsewhere() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            List<String> streams = List.of("s1", "s2", "s3", "s4", "s5", "s6");
            List<SseClient> onZero = new ArrayList<>();
            for (String stream : streams) {
                onZero.add(cluster.relay(0).subscribe("/streams/" + stream));
            }
            onZero.forEach(s -> await().until(() -> s.lastEventId() != null));
            for (String stream : streams) {
                publish(cluster.relay(0), stream, 0, 10);
            }
            onZero.forEach(s -> s.awaitEvents(10));
            cluster.stop(0); // its subscribers are told to reconnect; it leaves the view
            for (int i = 0; i < streams.size(); i++) {
                onZero.get(i).awaitEnded();
                publish(cluster.relay(1 + i % 2), streams.get(i), 10, 20);
            }
            for (int i = 0; i < streams.size(); i++) {
                String stream = streams.get(i);
                try (SseClient resumed = cluster.relay(2 - i % 2).subscribe("/streams/" + stream,
                        Map.of("Last-Event-ID", onZero.get(i).lastEventId()))) {
                    resumed.awaitEvents(10);
                    assertThat(resumed.data()).as(stream).containsExactlyElementsOf(range(stream, 10, 20));
                    assertThat(resumed.frames()).noneMatch(f -> "reset".equals(f.event()));
                }
                try (SseClient fromStart = cluster.relay(1).subscribe("/streams/" + stream,
                        Map.of("Last-Event-ID", EventId.START))) {
                    fromStart.awaitEvents(20);
                    assertThat(fromStart.data()).as("every acknowledged event of " + stream + ", once, in order")
                            .containsExactlyElementsOf(range(stream, 0, 20));
                }
            }
        }
    }

    @Test
    void aRelayRestartedEmptyAtItsAddressServesItsStreamsFromTheOthersCopies() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            SseClient before = cluster.relay(1).subscribe("/streams/kept");
            await().until(() -> before.lastEventId() != null);
            publish(cluster.relay(0), "kept", 0, 10);
            before.awaitEvents(10);
            String middle = before.events().get(4).id();
            before.close();
            cluster.relay(0).close(); // as a pod's container restarts: same address, nothing kept, same view
            cluster.restartAlone(0, Map.of());
            cluster.connectAll();
            try (SseClient resumed = cluster.relay(0).subscribe("/streams/kept", Map.of("Last-Event-ID", middle))) {
                resumed.awaitEvents(5);
                assertThat(resumed.data()).containsExactlyElementsOf(range("kept", 5, 10));
                publish(cluster.relay(0), "kept", 10, 12);
                resumed.awaitEvents(7);
                assertThat(resumed.data()).containsExactlyElementsOf(range("kept", 5, 12));
                assertThat(resumed.frames()).noneMatch(f -> "reset".equals(f.event()));
            }
        }
    }

    @Test
    void thePeerPortRefusesTrafficWithoutTheTokenAndAnswersGarbageWithTheJsonError() {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            PeerAddress peer = cluster.peerAddress(0);
            String head = "POST /peer/v2/cluster HTTP/1.1\r\nHost: x\r\nX-Relay-Peer: 127.0.0.99:"
                    + TestCluster.PEER_PORT + "\r\nTransfer-Encoding: chunked\r\n";
            assertThat(RawHttp.exchange(peer.host(), peer.port(), head + "\r\n0\r\n\r\n").status()).isEqualTo(401);
            assertThat(RawHttp.exchange(peer.host(), peer.port(),
                    head + "Authorization: Bearer not-the-peer-token-at-all\r\n\r\n0\r\n\r\n").status()).isEqualTo(403);
            assertThat(RawHttp.exchange(peer.host(), peer.port(), "GET /peer/v1/follow HTTP/1.1\r\nHost: x\r\n\r\n")
                    .status()).isEqualTo(404);
            RawHttp.Response garbage = RawHttp.exchange(peer.host(), peer.port(),
                    "GET /peer/v2/cluster%zz HTTP/1.1\r\nHost: " + peer + "\r\n\r\n");
            assertThat(garbage.status()).isEqualTo(400);
            assertThat(garbage.headers()).containsEntry("content-type", "application/json");
            assertThat(garbage.body()).startsWith("{\"error\":\"malformed_request\",");
            // The cluster serves on.
            try (SseClient subscriber = cluster.relay(1).subscribe("/streams/s")) {
                await().until(() -> subscriber.lastEventId() != null);
                cluster.relay(0).publish("s", "still here");
                subscriber.awaitEvents(1);
            }
        }
    }

    @Test
    void peerTrafficIsNotCountedAsDeliveriesToSubscribersButAsPeerBytes() {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            try (SseClient subscriber = cluster.relay(1).subscribe("/streams/s")) {
                await().until(() -> subscriber.lastEventId() != null);
                publish(cluster.relay(0), "s", "e", 0, 20);
                subscriber.awaitEvents(20);
                await().until(() -> cluster.relay(1).metric("sserelay_events_delivered_total") == 20);
            }
            assertThat(cluster.relay(0).metric("sserelay_events_delivered_total")).as("relay 0 has no subscriber").isZero();
            assertThat(cluster.relay(0).metric("sserelay_bytes_written_total")).isZero();
            assertThat(cluster.relay(0).metric("sserelay_events_published_total")).isEqualTo(20);
            // twenty events of at least "e0".."e19" went from relay 0 to the other relay, which
            // owns or replicates the stream or has its subscriber, or both; and the counter outlives
            // a collection (a meter that held what it reads weakly once read 0 after one)
            System.gc();
            assertThat(cluster.relay(0).metric("sserelay_peer_sent_bytes_total")).isGreaterThan(20 * 2);
        }
    }

    /** Publishes {@code stream}{@code n} for n from {@code from} to {@code to} into {@code stream}. */
    private static void publish(TestRelay relay, String stream, int from, int to) {
        publish(relay, stream, stream, from, to);
    }

    /** Publishes {@code prefix}{@code n} for n from {@code from} to {@code to} into {@code stream}. */
    private static void publish(TestRelay relay, String stream, String prefix, int from, int to) {
        for (int n = from; n < to; n++) {
            relay.publish(stream, prefix + n);
        }
    }

    private static List<String> range(String prefix, int from, int to) {
        return IntStream.range(from, to).mapToObj(n -> prefix + n).toList();
    }
}
