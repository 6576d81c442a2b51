package io.sserelay.relay;

import com.sun.net.httpserver.HttpServer;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.PeerFrames;
import io.sserelay.relay.support.RawHttp;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.SseFrame;
import io.sserelay.relay.support.TestCluster;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Several relays on their own loopback addresses, clustered over their peer ports. */
class ClusterTest {

    @Test
    void everyEventReachesEverySubscriberOnEveryRelayInEachOriginsOrder() {
        try (TestCluster cluster = TestCluster.start(4, Map.of())) {
            List<SseClient> subscribers = new ArrayList<>();
            for (int i = 0; i < cluster.size(); i++) {
                subscribers.add(cluster.relay(i).subscribe("/streams/news"));
            }
            subscribers.forEach(s -> await().until(() -> s.lastEventId() != null));
            for (int n = 0; n < 50; n++) {
                for (int r = 0; r < cluster.size(); r++) {
                    cluster.relay(r).publish("news", "r" + r + "-" + n);
                }
            }
            for (SseClient subscriber : subscribers) {
                subscriber.awaitEvents(200);
                assertThat(subscriber.data()).doesNotHaveDuplicates().hasSize(200);
                for (int r = 0; r < cluster.size(); r++) {
                    String prefix = "r" + r + "-";
                    assertThat(subscriber.data().stream().filter(d -> d.startsWith(prefix)).toList())
                            .as("events of relay %d in publish order", r)
                            .containsExactlyElementsOf(IntStream.range(0, 50).mapToObj(n -> prefix + n).toList());
                }
                subscriber.close();
            }
            assertThat(cluster.relay(0).metric("sserelay_peer_events_applied_total")).isEqualTo(150);
        }
    }

    @Test
    void peerTrafficIsCountedAsPeerTrafficNotAsDeliveriesToSubscribers() {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            try (SseClient subscriber = cluster.relay(1).subscribe("/streams/s")) {
                await().until(() -> subscriber.lastEventId() != null);
                publish(cluster.relay(0), "e", 20);
                subscriber.awaitEvents(20);
                await().until(() -> cluster.relay(1).metric("sserelay_events_delivered_total") == 20);
            }
            TestRelay origin = cluster.relay(0);
            assertThat(origin.metric("sserelay_events_delivered_total")).as("relay 0 has no subscriber").isZero();
            assertThat(origin.metric("sserelay_bytes_written_total")).isZero();
            assertThat(origin.metric("sserelay_peer_bytes_written_total")).as("20 events or more").isGreaterThan(20 * 3);
            assertThat(origin.metrics()).contains("sserelay_peer_followers_disconnected_total{reason=\"backlog\"} 0.0");
        }
    }

    @Test
    void aSubscriberMovesToAnotherRelayAndResumesWithoutGapOrDuplicate() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            SseClient first = cluster.relay(0).subscribe("/streams/s");
            await().until(() -> first.lastEventId() != null);
            publish(cluster.relay(0), "a", 10);
            publish(cluster.relay(1), "b", 10);
            first.awaitEvents(20);
            first.closeAndWait();
            publish(cluster.relay(2), "c", 10);
            publish(cluster.relay(0), "a", 10, 15);
            awaitApplied(cluster, 1, 25);
            try (SseClient moved = cluster.relay(1).subscribe("/streams/s", Map.of("Last-Event-ID", first.lastEventId()))) {
                moved.awaitEvents(15);
                assertThat(moved.data()).containsExactlyInAnyOrderElementsOf(concat(range("c", 0, 10), range("a", 10, 15)));
                assertThat(moved.frames()).noneMatch(f -> "reset".equals(f.event()));
            }
        }
    }

    /**
     * Relay 1 publishes, then stops for good; relay 2 is replaced by a relay that never knew
     * relay 1. It learns of relay 1 from relay 0, so a subscriber that missed relay 1's last events
     * and resumes there is told so, and an id it gives names relay 1, so resuming with it on
     * relay 0, which still has relay 1's events, sends none of them.
     */
    @Test
    void aRelayThatJoinedAfterAnotherStoppedReportsWhatItCannotHaveAndResendsNothingOld() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            SseClient onZero = cluster.relay(0).subscribe("/streams/s");
            SseClient onOne = cluster.relay(1).subscribe("/streams/s");
            await().until(() -> onZero.lastEventId() != null && onOne.lastEventId() != null);
            cluster.relay(1).publish("s", "r0");
            onOne.awaitEvents(1);
            String seenR0 = onOne.lastEventId();
            onOne.closeAndWait();
            publish(cluster.relay(1), "r", 1, 3);
            onZero.awaitEvents(3);
            onZero.close();
            cluster.stop(1);
            cluster.stop(2);
            await().until(() -> cluster.relay(0).relay().mesh().leavingLinks() == 0);
            cluster.restart(2, Map.of());
            TestRelay joined = cluster.relay(2);
            await().until(() -> joined.metric("sserelay_origins_adopted_total") == 1);

            try (SseClient behind = joined.subscribe("/streams/s", Map.of("Last-Event-ID", seenR0))) {
                // r1 and r2 are not on this relay: it says so rather than waiting for them.
                await().until(() -> behind.frames().stream().anyMatch(f -> "reset".equals(f.event())));
            }
            try (SseClient fresh = joined.subscribe("/streams/s")) {
                await().until(() -> fresh.lastEventId() != null);
                joined.publish("s", "n0");
                fresh.awaitEvents(1);
                try (SseClient moved = cluster.relay(0).subscribe("/streams/s",
                        Map.of("Last-Event-ID", fresh.lastEventId()))) {
                    await().until(() -> !moved.frames().isEmpty());
                    cluster.relay(0).publish("s", "a0");
                    moved.awaitEvents(1);
                    assertThat(moved.data()).as("relay 1's events are older than this subscriber").containsExactly("a0");
                    assertThat(moved.frames()).noneMatch(f -> "reset".equals(f.event()));
                }
            }
        }
    }

    /**
     * As above, but the subscriber reaches the new relay before it has heard from any peer: it
     * waits on a floor for the stopped relay's events, and is told they will not come as soon as
     * a peer names the stopped relay; without any such peer, once the history's age has passed.
     */
    @Test
    void aSubscriberWaitingForAStoppedRelaysEventsIsToldOnceTheyCannotCome() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            SseClient onOne = cluster.relay(1).subscribe("/streams/s");
            await().until(() -> onOne.lastEventId() != null);
            cluster.relay(1).publish("s", "r0");
            onOne.awaitEvents(1);
            String seenR0 = onOne.lastEventId();
            onOne.closeAndWait();
            publish(cluster.relay(1), "r", 1, 3);
            awaitApplied(cluster, 0, 3);
            cluster.stop(1);
            cluster.stop(2);
            await().until(() -> cluster.relay(0).relay().mesh().leavingLinks() == 0);

            cluster.restartAlone(2, Map.of());
            try (SseClient early = cluster.relay(2).subscribe("/streams/s", Map.of("Last-Event-ID", seenR0))) {
                await().until(() -> early.lastEventId() != null);
                assertThat(early.frames()).as("this relay knows nothing of relay 1 yet").noneMatch(f -> "reset".equals(f.event()));
                cluster.connectAll();
                await().until(() -> early.frames().stream().anyMatch(f -> "reset".equals(f.event())));
            }

            // Alone, with a short history: no peer ever names relay 1, and the floor's age runs out.
            cluster.stop(2);
            cluster.restartAlone(2, Map.of("RELAY_HISTORY_MAX_AGE", "1s"));
            TestRelay alone = cluster.relay(2);
            try (SseClient waiting = alone.subscribe("/streams/s", Map.of("Last-Event-ID", seenR0))) {
                await().until(() -> waiting.lastEventId() != null);
                await().until(() -> {
                    alone.publish("s", "tick");
                    return waiting.frames().stream().anyMatch(f -> "reset".equals(f.event()));
                });
                assertThat(alone.metric("sserelay_history_resets_total")).isGreaterThanOrEqualTo(1);
            }
        }
    }

    @Test
    void aSubscriberThatMovesToARelayBehindSeesNothingTwice() {
        // Local acknowledgements: relay 0 publishes while its peer does not follow it, which a
        // replicated publish would refuse (ReplicatedPublishTest pins that).
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK", "local"))) {
            // Relay 1 stops following relay 0, so it falls behind on relay 0's events.
            cluster.peerSource(1).set(Set.of());
            await().until(() -> cluster.relay(1).relay().mesh().connectedLinks() == 0);
            SseClient first = cluster.relay(0).subscribe("/streams/s");
            await().until(() -> first.lastEventId() != null);
            publish(cluster.relay(0), "a", 10);
            first.awaitEvents(10);
            first.closeAndWait();
            try (SseClient moved = cluster.relay(1).subscribe("/streams/s", Map.of("Last-Event-ID", first.lastEventId()))) {
                await().until(() -> !moved.frames().isEmpty()); // subscribed: its retry came
                publish(cluster.relay(1), "b", 3);
                moved.awaitEvents(3);
                cluster.connectAll(); // relay 1 catches up a0..a9, which this subscriber has seen
                publish(cluster.relay(0), "a", 10, 12);
                moved.awaitEvents(5);
                assertThat(moved.data()).containsExactly("b0", "b1", "b2", "a10", "a11");
                // Its ids still cover what it saw on relay 0, so resuming anywhere stays exact.
                assertThat(moved.lastEventId()).contains(cluster.relay(0).relay().origin() + "-c");
            }
        }
    }

    @Test
    void aRestartedRelayCatchesUpAndItsSubscribersMissNothing() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            SseClient before = cluster.relay(2).subscribe("/streams/s");
            await().until(() -> before.lastEventId() != null);
            publish(cluster.relay(0), "a", 5);
            publish(cluster.relay(2), "c", 5);
            before.awaitEvents(10);
            before.closeAndWait();

            cluster.stop(2);
            publish(cluster.relay(0), "a", 5, 10);
            publish(cluster.relay(1), "b", 5);
            cluster.restart(2, Map.of());

            try (SseClient after = cluster.relay(2).subscribe("/streams/s", Map.of("Last-Event-ID", before.lastEventId()))) {
                after.awaitEvents(10);
                publish(cluster.relay(2), "c", 5, 7);
                after.awaitEvents(12);
                assertThat(after.data()).containsExactlyInAnyOrderElementsOf(
                        concat(range("a", 5, 10), range("b", 0, 5), range("c", 5, 7)));
                assertThat(after.frames()).noneMatch(f -> "reset".equals(f.event()));
            }
        }
    }

    @Test
    void aRelayCutOffFromItsPeersCatchesUpWhenItIsBack() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            SseClient onCutOff = cluster.relay(1).subscribe("/streams/s");
            SseClient onOther = cluster.relay(0).subscribe("/streams/s");
            List.of(onCutOff, onOther).forEach(s -> await().until(() -> s.lastEventId() != null));
            cutOff(cluster, 1);
            publish(cluster.relay(0), "a", 20);
            publish(cluster.relay(1), "b", 20);
            publish(cluster.relay(2), "c", 20);
            onCutOff.awaitEvents(20);
            onOther.awaitEvents(40);
            cluster.connectAll();
            onCutOff.awaitEvents(60);
            onOther.awaitEvents(60);
            for (SseClient subscriber : List.of(onCutOff, onOther)) {
                assertThat(subscriber.data()).containsExactlyInAnyOrderElementsOf(
                        concat(range("a", 0, 20), range("b", 0, 20), range("c", 0, 20)));
                assertThat(subscriber.frames()).noneMatch(f -> "reset".equals(f.event()));
                subscriber.close();
            }
        }
    }

    @Test
    void aRelayCutOffLongerThanItsPeersRetainTellsItsSubscribersWhatTheyMissed() {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_HISTORY_MAX_EVENTS", "5"))) {
            SseClient onCutOff = cluster.relay(1).subscribe("/streams/s");
            await().until(() -> onCutOff.lastEventId() != null);
            cutOff(cluster, 1);
            publish(cluster.relay(0), "a", 8);
            cluster.connectAll();
            onCutOff.awaitEvents(6); // the reset notice, then the 5 events relay 0 still has
            List<SseFrame> events = onCutOff.events();
            assertThat(events.get(0).event()).isEqualTo("reset");
            assertThat(events.subList(1, 6)).extracting(SseFrame::data).containsExactlyElementsOf(range("a", 3, 8));
            onCutOff.close();
        }
    }

    /** As during a rolling update that changes the limit: peers disagree about the largest event. */
    @Test
    void anEventTooLargeForAPeerIsSkippedThereWithAResetAndTheStreamGoesOn() {
        try (TestCluster cluster = TestCluster.start(2, Map.of(),
                Map.of(1, Map.of("RELAY_MAX_EVENT_BYTES", "1Ki")))) {
            SseClient small = cluster.relay(1).subscribe("/streams/s");
            await().until(() -> small.lastEventId() != null);
            cluster.relay(0).publish("s", "x".repeat(2048));
            cluster.relay(0).publish("s", "after");
            small.awaitEvents(2);
            assertThat(small.events()).extracting(SseFrame::type).containsExactly("reset", "message");
            assertThat(small.events().get(1).data()).isEqualTo("after");
            assertThat(rejected(cluster.relay(1), "event_too_large")).isEqualTo(1);
            assertThat(cluster.relay(1).relay().mesh().connectedLinks()).isEqualTo(1);
            small.close();
        }
    }

    @Test
    void removingAPeerStopsTrafficToIt() {
        try (TestCluster cluster = TestCluster.start(3, Map.of())) {
            PeerAddress removed = cluster.peerAddress(2);
            TestRelay relay0 = cluster.relay(0);
            String removedLink = "sserelay_peer_link_up{peer=\"" + removed + "\"}";
            System.gc(); // the per-peer gauges must outlive a collection
            await().until(() -> relay0.metric(removedLink) == 1);
            cluster.peerSource(0).set(Set.of(cluster.peerAddress(0), cluster.peerAddress(1)));
            await().until(() -> relay0.relay().mesh().connectedLinks() == 1 && relay0.relay().mesh().followerCount() == 1);
            assertThat(relay0.relay().mesh().peers()).doesNotContain(removed);
            assertThat(relay0.metric("sserelay_peer_link_up{peer=\"" + cluster.peerAddress(1) + "\"}")).isEqualTo(1);
            assertThat(relay0.metrics()).doesNotContain(removedLink);
            assertThat(relay0.metric("sserelay_peer_followers")).isEqualTo(1);
            // Relay 2 still lists relay 0, but relay 0 refuses to be followed by it.
            await().until(() -> cluster.relay(2).relay().mesh().connectedLinks() == 1);
            try (SseClient onPeer = cluster.relay(1).subscribe("/streams/s")) {
                await().until(() -> onPeer.lastEventId() != null);
                relay0.publish("s", "still flows to relay 1");
                onPeer.awaitEvents(1);
            }
        }
    }

    @Test
    void peerTrafficWithoutTheTokenOrFromARelayOutsideThePeerSetIsRefused() {
        try (TestCluster cluster = TestCluster.start(2, Map.of())) {
            String url = "http://" + cluster.peerAddress(0) + "/peer/v1/log";
            String member = cluster.peerAddress(1).toString();
            assertThat(peerGet(url, null, member).statusCode()).isEqualTo(401);
            HttpResponse<String> wrong = peerGet(url, "not-the-peer-token", member);
            assertThat(wrong.statusCode()).isEqualTo(403);
            assertThat(wrong.body()).isEqualTo(BadInputTest.error("invalid_token",
                    "the token presented for peer traffic is not valid"));
            HttpResponse<String> stranger = peerGet(url, TestCluster.PEER_TOKEN, "127.0.0.99:7070");
            assertThat(stranger.statusCode()).isEqualTo(403);
            assertThat(stranger.body()).isEqualTo(BadInputTest.error("not_a_peer",
                    "127.0.0.99:7070 is not in this relay's peer set"));
            HttpResponse<String> anonymous = peerGet(url, TestCluster.PEER_TOKEN, null);
            assertThat(anonymous.statusCode()).isEqualTo(400);
            assertThat(cluster.relay(0).metric("sserelay_peer_followers")).isEqualTo(1);
        }
    }

    /** The peer listener is served like the public one, down to requests Undertow cannot parse. */
    @Test
    void thePeerPortAnswersAnUnparsableRequestHeadWithTheJsonError() {
        try (TestCluster cluster = TestCluster.start(1, Map.of())) {
            PeerAddress peer = cluster.peerAddress(0);
            RawHttp.Response response = RawHttp.exchange(peer.host(), peer.port(),
                    "GET /peer/v1/log%zz HTTP/1.1\r\nHost: " + peer + "\r\n\r\n");
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.headers()).containsEntry("content-type", "application/json");
            assertThat(response.body()).startsWith("{\"error\":\"malformed_request\",");
        }
    }

    @Test
    void anOversizedOrMalformedPeerStreamIsDroppedAndDeliversNothing() throws IOException {
        HttpServer fakePeer = HttpServer.create(new InetSocketAddress("127.0.0.20", 0), 0);
        List<byte[]> script = new ArrayList<>();
        fakePeer.createContext("/peer/v1/log", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes(PeerFrames.hello("fakepeer", 100, 0)));
                synchronized (script) {
                    out.write(script.isEmpty() ? new byte[0] : script.get(0));
                }
            } catch (IOException ignored) {
                // the relay hung up on us, which is the point
            }
        });
        fakePeer.start();
        try (TestCluster cluster = TestCluster.start(1, Map.of())) {
            TestRelay relay = cluster.relay(0);
            SseClient subscriber = relay.subscribe("/streams/s");
            await().until(() -> subscriber.lastEventId() != null);
            // An EVENT frame that claims 10 MB: refused from its header, before it is read.
            script.add(ByteBuffer.allocate(5).put(PeerFrames.EVENT).putInt(10_000_000).array());
            PeerAddress fake = new PeerAddress("127.0.0.20", fakePeer.getAddress().getPort());
            cluster.peerSource(0).set(Set.of(cluster.peerAddress(0), fake));
            await().until(() -> rejected(relay, "oversized") >= 1);
            synchronized (script) {
                script.set(0, new byte[] {99, 0, 0, 0, 0});
            }
            await().until(() -> rejected(relay, "malformed") >= 1);
            assertThat(subscriber.eventCount()).isZero();
            assertThat(relay.metric("sserelay_history_events")).isZero();
            subscriber.close();
        } finally {
            fakePeer.stop(0);
        }
    }

    private static double rejected(TestRelay relay, String reason) {
        String exposition = relay.metrics();
        String sample = "sserelay_peer_frames_rejected_total{reason=\"" + reason + "\"}";
        return exposition.contains(sample) ? io.sserelay.relay.support.Metrics.value(exposition, sample) : 0;
    }

    /** Takes relay {@code i} out of everyone's peer set and everyone out of its own. */
    private static void cutOff(TestCluster cluster, int i) {
        Set<PeerAddress> others = new HashSet<>();
        for (int j = 0; j < cluster.size(); j++) {
            if (j != i) {
                others.add(cluster.peerAddress(j));
            }
        }
        cluster.peerSource(i).set(Set.of());
        for (int j = 0; j < cluster.size(); j++) {
            if (j != i) {
                cluster.peerSource(j).set(others);
            }
        }
        await().until(() -> cluster.relay(i).relay().mesh().connectedLinks() == 0
                && cluster.relay(i).relay().mesh().followerCount() == 0);
    }

    private static void awaitApplied(TestCluster cluster, int relay, long events) {
        await().until(() -> cluster.relay(relay).metric("sserelay_peer_events_applied_total") >= events);
    }

    private static HttpResponse<String> peerGet(String url, String token, String self) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (self != null) {
            request.header("X-Relay-Peer", self);
        }
        return TestRelay.send(request.build());
    }

    private static void publish(TestRelay relay, String prefix, int count) {
        publish(relay, prefix, 0, count);
    }

    private static void publish(TestRelay relay, String prefix, int from, int to) {
        for (int n = from; n < to; n++) {
            relay.publish("s", prefix + n);
        }
    }

    private static List<String> range(String prefix, int from, int to) {
        return IntStream.range(from, to).mapToObj(n -> prefix + n).toList();
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> list : lists) {
            all.addAll(list);
        }
        return all;
    }

    private static byte[] bytes(ByteBuffer frame) {
        ByteBuffer copy = frame.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
