package io.sserelay.relay;

import com.sun.net.httpserver.HttpServer;
import io.sserelay.relay.peer.PeerAddress;
import io.sserelay.relay.peer.ChunkedInputStream;
import io.sserelay.relay.peer.PeerFrames;
import io.sserelay.relay.replication.PublishDigest;
import io.sserelay.relay.sse.SseFrames;
import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.HeldBatch;
import io.sserelay.relay.stream.HistoryLimits;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.StreamHub;
import io.sserelay.relay.support.RelayProcess;
import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TcpProxy;
import io.sserelay.relay.support.TestCluster;
import io.sserelay.relay.support.TestRelay;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A 202 means a peer holds the event: publishes that no peer confirms are answered 503 and
 * delivered nowhere, and an acknowledged event survives the relay that accepted it.
 */
class ReplicatedPublishTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aPublishNoPeerConfirmsIsAnswered503AndNobodyEverSeesItThenItsRetryPublishesOnce() {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK_TIMEOUT", "500ms"));
             TcpProxy proxy = followThroughProxy(cluster)) {
            TestRelay origin = cluster.relay(0);
            List<SseClient> subscribers = List.of(origin.subscribe("/streams/s"), cluster.relay(1).subscribe("/streams/s"));
            subscribers.forEach(s -> await().until(() -> s.lastEventId() != null));

            proxy.pause();
            HttpResponse<String> refused = publish(origin, "s", "lost?", "key-1");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.body()).isEqualTo(BadInputTest.error("replication_unconfirmed", "no peer relay confirmed"
                    + " holding the event within 500 ms, so nothing was published; retry (with the same Idempotency-Key)"
                    + " here or on another replica"));
            assertThat(origin.metric("sserelay_publish_unconfirmed_total")).isEqualTo(1);

            proxy.resume(cluster.peerAddress(0).port());
            awaitFollowed(cluster);
            origin.publish("s", "marker");
            for (SseClient subscriber : subscribers) {
                subscriber.awaitEvents(1);
                assertThat(subscriber.data()).as("the refused event reaches nobody, then or later").containsExactly("marker");
            }

            HttpResponse<String> retry = publish(origin, "s", "lost?", "key-1");
            assertThat(retry.statusCode()).as("the key is free again after a 503").isEqualTo(202);
            HttpResponse<String> again = publish(origin, "s", "lost?", "key-1");
            assertThat(again.statusCode()).isEqualTo(202);
            assertThat(again.body()).isEqualTo(retry.body());
            assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            origin.publish("s", "end");
            for (SseClient subscriber : subscribers) {
                subscriber.awaitEvents(3);
                assertThat(subscriber.data()).containsExactly("marker", "lost?", "end");
                assertThat(subscriber.frames()).noneMatch(f -> "reset".equals(f.event()));
                subscriber.close();
            }
            assertThat(origin.metric("sserelay_publish_replicated_total")).isEqualTo(3);
            assertThat(origin.metric("sserelay_publish_idempotent_replays_total")).isEqualTo(1);
        }
    }

    @Test
    void aPublishWaitingForAPeerIsAnsweredShuttingDownWhenTheRelayStops() throws Exception {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK_TIMEOUT", "1m",
                "RELAY_REQUEST_TIMEOUT", "1m"));
             TcpProxy proxy = followThroughProxy(cluster)) {
            proxy.pause();
            CompletableFuture<HttpResponse<String>> waiting = publishAsync(cluster.relay(0), "s", "x", null);
            await().until(() -> cluster.relay(0).metric("sserelay_publish_waiting") == 1);
            cluster.stop(0);
            HttpResponse<String> answer = waiting.get(30, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(503);
            assertThat(answer.body()).contains("\"error\":\"shutting_down\"");
        }
    }

    @Test
    void aRetryWhileTheFirstPublishWaitsIsTold409() throws Exception {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK_TIMEOUT", "1m",
                "RELAY_REQUEST_TIMEOUT", "1m"));
             TcpProxy proxy = followThroughProxy(cluster)) {
            proxy.pause();
            CompletableFuture<HttpResponse<String>> first = publishAsync(cluster.relay(0), "s", "x", "key-9");
            await().until(() -> cluster.relay(0).metric("sserelay_publish_waiting") == 1);
            HttpResponse<String> retry = publish(cluster.relay(0), "s", "x", "key-9");
            assertThat(retry.statusCode()).isEqualTo(409);
            assertThat(retry.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(retry.body()).contains("\"error\":\"idempotency_key_in_use\"");
            proxy.resume(cluster.peerAddress(0).port());
            assertThat(first.get(60, TimeUnit.SECONDS).statusCode()).as("answered once the peer is back").isEqualTo(202);
        }
    }

    @Test
    void localAcknowledgementsAnswerAtOnceWithoutAnyPeer() {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK", "local"));
             TcpProxy proxy = followThroughProxy(cluster)) {
            proxy.pause();
            assertThat(publish(cluster.relay(0), "s", "x", null).statusCode()).isEqualTo(202);
            assertThat(cluster.relay(0).metric("sserelay_publish_ack_seconds_count{mode=\"local\"}")).isEqualTo(1);
        }
    }

    @Test
    void aRelayWithoutOtherPeersAnswersAsAlways() {
        try (TestRelay standalone = TestRelay.start(); TestCluster single = TestCluster.start(1, Map.of())) {
            for (TestRelay relay : List.of(standalone, single.relay(0))) {
                assertThat(publish(relay, "s", "x", null).statusCode()).isEqualTo(202);
                assertThat(relay.metric("sserelay_publish_ack_seconds_count{mode=\"local\"}")).isEqualTo(1);
            }
        }
    }

    /** The survivor is told the accepting relay is gone as in Kubernetes: it leaves the peer set. */
    @Test
    void anEventAcknowledgedJustBeforeItsRelayIsKilledReachesTheSurvivorsSubscribers() throws IOException {
        try (TestCluster cluster = TestCluster.start(1, Map.of())) {
            TestRelay survivor = cluster.relay(0);
            int peerPort = freePort();
            PeerAddress doomedPeer = new PeerAddress("127.0.0.1", peerPort);
            try (RelayProcess doomed = RelayProcess.start(Map.of("RELAY_PEER_TOKEN", TestCluster.PEER_TOKEN,
                    "RELAY_PEER_PORT", Integer.toString(peerPort),
                    "RELAY_PEERS", doomedPeer + "," + cluster.peerAddress(0)))) {
                cluster.peerSource(0).set(Set.of(cluster.peerAddress(0), doomedPeer));
                await().until(() -> survivor.relay().mesh().connectedLinks() == 1);
                SseClient subscriber = survivor.subscribe("/streams/s");
                await().until(() -> subscriber.lastEventId() != null);
                HttpResponse<String> accepted = TestRelay.send(HttpRequest.newBuilder(URI.create(doomed.url("/streams/s")))
                        .header("Authorization", "Bearer " + TestRelay.TOKEN).header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString("survives")).build());
                assertThat(accepted.statusCode()).isEqualTo(202);
                doomed.close(); // SIGKILL
                cluster.peerSource(0).set(Set.of(cluster.peerAddress(0)));
                subscriber.awaitEvents(1);
                assertThat(subscriber.data()).containsExactly("survives");
                subscriber.close();
            }
        }
    }

    /**
     * The follower's side over a real socket, with a scripted origin that dies between its
     * PENDING and COMMIT: the follower acknowledges, holds, and delivers once the origin is gone.
     */
    @Test
    void aFollowerAcknowledgesAndHoldsAPendingEventUntilItsOriginIsGone() throws Exception {
        AtomicLong acknowledged = new AtomicLong();
        CountDownLatch ended = new CountDownLatch(1);
        List<byte[]> pending = pendingFrames("committed", "held", "aborted");
        HttpServer fakeOrigin = HttpServer.create(new InetSocketAddress("127.0.0.21", 0), 0);
        fakeOrigin.createContext("/peer/v1/log", exchange -> {
            if (ended.getCount() == 0) {
                exchange.sendResponseHeaders(503, -1);
                exchange.close();
                return;
            }
            assertThat(exchange.getRequestMethod()).isEqualTo("POST");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody(); InputStream acks = exchange.getRequestBody()) {
                out.write(bytes(PeerFrames.hello("fakeorig", 2, 1_790_000_000L, true)));
                out.write(pending.get(0));
                out.write(bytes(PeerFrames.commit(1)));
                out.write(pending.get(1));
                out.write(pending.get(2));
                out.write(bytes(PeerFrames.abort(3, 3)));
                out.flush();
                byte[] ack = new byte[13];
                while (acknowledged.get() < 2 && acks.readNBytes(ack, 0, 13) == 13) {
                    acknowledged.set(ByteBuffer.wrap(ack, 5, 8).getLong());
                }
            } finally {
                ended.countDown(); // the origin dies here, without a COMMIT for 2
            }
        });
        fakeOrigin.start();
        try (TestCluster cluster = TestCluster.start(1, Map.of())) {
            SseClient subscriber = subscribeThenFollow(cluster, fakeOrigin);
            subscriber.awaitEvents(1);
            assertThat(ended.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(acknowledged.get()).as("it acknowledged what it held").isGreaterThanOrEqualTo(2);
            assertThat(subscriber.data()).containsExactly("committed");

            cluster.peerSource(0).set(Set.of(cluster.peerAddress(0)));
            subscriber.awaitEvents(2);
            assertThat(subscriber.data()).containsExactly("committed", "held");
            assertThat(subscriber.frames()).noneMatch(f -> "reset".equals(f.event()));
            subscriber.close();
        } finally {
            fakeOrigin.stop(0);
        }
    }

    /**
     * The link breaks after the follower acknowledged three held events and before it heard what
     * became of them; meanwhile the origin committed the first (with a key), aborted the second and
     * still holds the third. A retry of the first sent to the follower meanwhile is told the key is
     * in use; after the reconnect, the catch-up settles each event, and the retry gets its answer.
     */
    @Test
    void aFollowerThatMissedItsOriginsDecisionsLearnsThemFromTheCatchUp() throws Exception {
        byte[] digest = PublishDigest.of(true, List.of(new PublishRequest("s", null, bytes("committed"))));
        List<byte[]> pending = pendingFrames("committed", "aborted", "still held");
        AtomicInteger connections = new AtomicInteger();
        CountDownLatch acknowledged = new CountDownLatch(1);
        CountDownLatch retried = new CountDownLatch(1);
        HttpServer fakeOrigin = HttpServer.create(new InetSocketAddress("127.0.0.24", 0), 0);
        fakeOrigin.createContext("/peer/v1/log", exchange -> {
            int connection = connections.incrementAndGet();
            try (OutputStream out = exchange.getResponseBody(); InputStream acks = exchange.getRequestBody()) {
                if (connection == 1) {
                    exchange.sendResponseHeaders(200, 0);
                    out.write(bytes(PeerFrames.hello("fakeorig", 0, 1_790_000_000L, true)));
                    out.write(bytes(PeerFrames.CAUGHT_UP));
                    out.write(pending.get(0));
                    out.write(bytes(PeerFrames.key(1, 1, new IdempotencyTag("order-1", digest, true))));
                    out.write(pending.get(1));
                    out.write(pending.get(2));
                    out.flush();
                    awaitAck(acks, 3);
                    acknowledged.countDown();
                    return; // the connection breaks: no COMMIT, no ABORT
                }
                await().until(() -> retried.getCount() == 0);
                exchange.sendResponseHeaders(200, 0);
                out.write(bytes(PeerFrames.hello("fakeorig", 3, 1_790_000_000L, true)));
                out.write(bytes(PeerFrames.event(eventOf("fakeorig", "committed"))));
                out.write(pending.get(2));
                out.write(bytes(PeerFrames.CAUGHT_UP));
                out.write(bytes(PeerFrames.commit(3)));
                out.flush();
                awaitAck(acks, Long.MAX_VALUE); // until the follower hangs up
            } catch (IOException ignored) {
                // the follower hung up
            }
        });
        fakeOrigin.start();
        // Local: the fake origin follows nobody, so the follower's own publishes need no peer.
        try (TestCluster cluster = TestCluster.start(1, Map.of("RELAY_PUBLISH_ACK", "local"))) {
            TestRelay follower = cluster.relay(0);
            SseClient subscriber = subscribeThenFollow(cluster, fakeOrigin);
            assertThat(acknowledged.await(30, TimeUnit.SECONDS)).isTrue();
            HttpResponse<String> early = publish(follower, "s", "committed", "order-1");
            assertThat(early.statusCode()).as("the origin's publish may still commit").isEqualTo(409);
            assertThat(early.body()).contains("\"error\":\"idempotency_key_in_use\"");
            retried.countDown();

            subscriber.awaitEvents(2);
            assertThat(subscriber.data()).containsExactly("committed", "still held");
            assertThat(subscriber.frames()).noneMatch(f -> "reset".equals(f.event()));
            HttpResponse<String> retry = publish(follower, "s", "committed", "order-1");
            assertThat(retry.statusCode()).isEqualTo(202);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            String committedId = subscriber.frames().stream().filter(f -> "committed".equals(f.data())).findFirst()
                    .orElseThrow().id();
            assertThat(retry.body()).as("the id the event has here").isEqualTo("{\"stream\":\"s\",\"id\":\"" + committedId + "\"}");
            follower.publish("s", "end");
            subscriber.awaitEvents(3);
            assertThat(subscriber.data()).as("nothing twice, nothing aborted").containsExactly("committed", "still held", "end");
            assertThat(connections.get()).isEqualTo(2);
            subscriber.close();
        } finally {
            fakeOrigin.stop(0);
        }
    }

    /**
     * As when Kubernetes starts deleting the origin's pod: it leaves the peer set while alive and
     * still deciding. The follower follows on until the origin has decided everything it holds
     * (here an ABORT, then a publish that came meanwhile and commits), and only then hangs up.
     */
    @Test
    void aLiveOriginLeavingThePeerSetStillDecidesWhatItsFollowerHolds() throws Exception {
        List<byte[]> pending = pendingFrames("aborted by its origin", "committed while leaving");
        CountDownLatch acknowledged = new CountDownLatch(1);
        CountDownLatch left = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        AtomicInteger connections = new AtomicInteger();
        List<Long> acks = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer fakeOrigin = HttpServer.create(new InetSocketAddress("127.0.0.25", 0), 0);
        fakeOrigin.createContext("/peer/v1/log", exchange -> {
            connections.incrementAndGet();
            try (OutputStream out = exchange.getResponseBody(); InputStream in = exchange.getRequestBody()) {
                exchange.sendResponseHeaders(200, 0);
                out.write(bytes(PeerFrames.hello("fakeorig", 0, 1_790_000_000L, true)));
                out.write(bytes(PeerFrames.CAUGHT_UP));
                out.write(pending.get(0));
                out.flush();
                acks.add(awaitAck(in, 1));
                acknowledged.countDown();
                await().until(() -> left.getCount() == 0);
                out.write(bytes(PeerFrames.abort(1, 1)));
                out.write(pending.get(1));
                out.flush();
                acks.add(awaitAck(in, 2));
                out.write(bytes(PeerFrames.commit(2)));
                out.flush();
                byte[] ack = new byte[13];
                while (in.readNBytes(ack, 0, 13) == 13) {
                    acks.add(ByteBuffer.wrap(ack, 5, 8).getLong());
                }
            } catch (IOException ignored) {
                // the follower hung up
            } finally {
                ended.countDown();
            }
        });
        fakeOrigin.start();
        try (TestCluster cluster = TestCluster.start(1, Map.of())) {
            TestRelay follower = cluster.relay(0);
            SseClient subscriber = subscribeThenFollow(cluster, fakeOrigin);
            assertThat(acknowledged.await(30, TimeUnit.SECONDS)).isTrue();
            cluster.peerSource(0).set(Set.of(cluster.peerAddress(0)));
            left.countDown();
            assertThat(ended.await(30, TimeUnit.SECONDS)).as("the follower hangs up once nothing is held").isTrue();
            assertThat(acks).containsExactly(1L, 2L);
            assertThat(connections.get()).isEqualTo(1);
            await().until(() -> follower.metric("sserelay_peer_links_connected") == 0);

            follower.publish("s", "after");
            subscriber.awaitEvents(1);
            assertThat(subscriber.data()).as("never the aborted event").containsExactly("committed while leaving", "after");
            subscriber.close();
        } finally {
            fakeOrigin.stop(0);
        }
    }

    /**
     * The connection to an origin that left the peer set breaks while the follower holds one of
     * its events: the follower asks again instead of taking the origin for gone, and the origin,
     * which aborted the event meanwhile, says so by not sending it back before CAUGHT_UP.
     */
    @Test
    void aLeavingOriginsBrokenConnectionIsFollowedAgainBeforeAnythingIsDelivered() throws Exception {
        List<byte[]> pending = pendingFrames("aborted while the link was down");
        CountDownLatch acknowledged = new CountDownLatch(1);
        CountDownLatch left = new CountDownLatch(1);
        CountDownLatch settled = new CountDownLatch(1);
        AtomicInteger connections = new AtomicInteger();
        HttpServer fakeOrigin = HttpServer.create(new InetSocketAddress("127.0.0.27", 0), 0);
        fakeOrigin.createContext("/peer/v1/log", exchange -> {
            int connection = connections.incrementAndGet();
            try (OutputStream out = exchange.getResponseBody(); InputStream in = exchange.getRequestBody()) {
                exchange.sendResponseHeaders(200, 0);
                if (connection == 1) {
                    out.write(bytes(PeerFrames.hello("fakeorig", 0, 1_790_000_000L, true)));
                    out.write(bytes(PeerFrames.CAUGHT_UP));
                    out.write(pending.get(0));
                    out.flush();
                    awaitAck(in, 1);
                    acknowledged.countDown();
                    await().until(() -> left.getCount() == 0);
                    return; // the connection breaks with event 1 undecided for the follower
                }
                out.write(bytes(PeerFrames.hello("fakeorig", 1, 1_790_000_000L, true)));
                out.write(bytes(PeerFrames.CAUGHT_UP));
                out.flush();
                awaitAck(in, Long.MAX_VALUE); // until the follower hangs up
            } catch (IOException ignored) {
                // the follower hung up
            } finally {
                if (connection > 1) {
                    settled.countDown();
                }
            }
        });
        fakeOrigin.start();
        try (TestCluster cluster = TestCluster.start(1, Map.of())) {
            TestRelay follower = cluster.relay(0);
            SseClient subscriber = subscribeThenFollow(cluster, fakeOrigin);
            assertThat(acknowledged.await(30, TimeUnit.SECONDS)).isTrue();
            cluster.peerSource(0).set(Set.of(cluster.peerAddress(0)));
            left.countDown();
            assertThat(settled.await(30, TimeUnit.SECONDS)).as("followed again, then hung up").isTrue();
            assertThat(connections.get()).isEqualTo(2);

            follower.publish("s", "after");
            subscriber.awaitEvents(1);
            assertThat(subscriber.data()).as("the aborted event is never delivered").containsExactly("after");
            subscriber.close();
        } finally {
            fakeOrigin.stop(0);
        }
    }

    /**
     * The acknowledgements travel in one request body for as long as the follower follows: past any
     * body limit (Undertow's default is 2 MiB), the origin still reads them.
     */
    @Test
    void aFollowerAcknowledgesForAsLongAsItFollows() throws Exception {
        try (TestCluster cluster = TestCluster.start(1, Map.of("RELAY_PUBLISH_ACK_TIMEOUT", "30s"))) {
            TestRelay origin = cluster.relay(0);
            PeerAddress rawFollower = new PeerAddress("127.0.0.26", 7070); // nothing listens: only followed
            cluster.peerSource(0).set(Set.of(cluster.peerAddress(0), rawFollower));
            try (Socket socket = new Socket(cluster.peerAddress(0).host(), cluster.peerAddress(0).port())) {
                socket.setSoTimeout(60_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /peer/v1/log?after= HTTP/1.1\r\nHost: " + cluster.peerAddress(0) + "\r\n"
                        + "Authorization: Bearer " + TestCluster.PEER_TOKEN + "\r\nX-Relay-Peer: " + rawFollower + "\r\n"
                        + "X-Relay-Peer-Protocol: 3\r\nContent-Type: " + PeerFrames.CONTENT_TYPE + "\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
                String head = readHead(in);
                assertThat(head).startsWith("HTTP/1.1 200");
                InputStream frames = head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")
                        ? new ChunkedInputStream(in) : in;

                CompletableFuture<HttpResponse<String>> first = publishAsync(origin, "s", "first", null);
                long seq = pendingSeq(frames);
                byte[] ack = ackChunk(seq);
                byte[] manyAcks = new byte[ack.length * 200_000]; // 4 MB
                for (int i = 0; i < 200_000; i++) {
                    System.arraycopy(ack, 0, manyAcks, i * ack.length, ack.length);
                }
                out.write(manyAcks);
                out.flush();
                assertThat(first.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(202);

                CompletableFuture<HttpResponse<String>> second = publishAsync(origin, "s", "second", null);
                out.write(ackChunk(pendingSeq(frames)));
                out.flush();
                assertThat(second.get(60, TimeUnit.SECONDS).statusCode()).as("still read after 4 MB").isEqualTo(202);
                assertThat(origin.metric("sserelay_publish_replicated_total")).isEqualTo(2);
            }
        }
    }

    /** As during a rolling update: a follower of an earlier version follows with GET and cannot acknowledge. */
    @Test
    void aFollowerOfAnEarlierVersionGetsCommittedEventsOnlyAndNeverCountsAsAnAcknowledgement() throws Exception {
        try (TestCluster cluster = TestCluster.start(2, Map.of("RELAY_PUBLISH_ACK_TIMEOUT", "300ms"))) {
            PeerAddress older = new PeerAddress("127.0.0.99", 7070);
            cluster.peerSource(0).set(Set.of(cluster.peerAddress(0), cluster.peerAddress(1), older));
            HttpResponse<InputStream> stream = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://" + cluster.peerAddress(0) + "/peer/v1/log?after="))
                    .header("Authorization", "Bearer " + TestCluster.PEER_TOKEN).header("X-Relay-Peer", older.toString())
                    .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(stream.statusCode()).isEqualTo(200);
            try (InputStream frames = stream.body()) {
                byte[] hello = frame(frames);
                assertThat(hello[0]).isEqualTo(PeerFrames.HELLO);
                assertThat(hello.length).as("origin length, origin, last seq: no flags").isEqualTo(5 + 1 + 8 + 8);
                assertThat(publish(cluster.relay(0), "s", "committed", null).statusCode()).isEqualTo(202);
                byte[] event;
                do {
                    event = frame(frames);
                } while (event[0] == PeerFrames.HEARTBEAT_KIND);
                assertThat(event[0]).as("the committed event, never a PENDING one").isEqualTo(PeerFrames.EVENT);
                assertThat(new String(event, event.length - 9, 9, StandardCharsets.UTF_8)).isEqualTo("committed");

                cluster.peerSource(1).set(Set.of(cluster.peerAddress(1)));
                await().until(() -> cluster.relay(0).relay().mesh().followerCount() == 1);
                assertThat(publish(cluster.relay(0), "s", "unconfirmed", null).statusCode())
                        .as("only the older follower is left").isEqualTo(503);
            }
        }
    }

    /**
     * As during a rolling update: a peer of an earlier version refuses the POST and is followed with
     * GET; it cannot acknowledge, so the new relay publishes as in local mode instead of answering 503.
     */
    @Test
    void aPeerOfAnEarlierVersionIsFollowedWithGet() throws Exception {
        List<String> methods = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer olderPeer = HttpServer.create(new InetSocketAddress("127.0.0.22", 0), 0);
        olderPeer.createContext("/peer/v1/log", exchange -> {
            methods.add(exchange.getRequestMethod() + " "
                    + exchange.getRequestHeaders().getFirst("X-Relay-Peer-Protocol"));
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(405, -1);
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes(PeerFrames.hello("olderrel", 1, 0)));
                out.write(bytes(PeerFrames.event(olderEvent())));
                out.flush();
                exchange.getRequestBody().read(); // until the follower hangs up
            } catch (IOException ignored) {
                // the follower hung up
            }
        });
        olderPeer.start();
        try (TestCluster cluster = TestCluster.start(1, Map.of("RELAY_PUBLISH_ACK_TIMEOUT", "300ms"))) {
            SseClient subscriber = cluster.relay(0).subscribe("/streams/s");
            await().until(() -> subscriber.lastEventId() != null);
            cluster.peerSource(0).set(Set.of(cluster.peerAddress(0),
                    new PeerAddress("127.0.0.22", olderPeer.getAddress().getPort())));
            subscriber.awaitEvents(1);
            assertThat(subscriber.data()).containsExactly("from an older relay");
            assertThat(methods).startsWith("POST 3", "GET 2");
            assertThat(publish(cluster.relay(0), "s", "new", null).statusCode()).isEqualTo(202);
            assertThat(cluster.relay(0).metric("sserelay_publish_ack_seconds_count{mode=\"local\"}")).isEqualTo(1);
            subscriber.close();
        } finally {
            olderPeer.stop(0);
        }
    }

    private static io.sserelay.relay.stream.Event olderEvent() {
        StreamHub older = new StreamHub("olderrel", new HistoryLimits(10, Duration.ofMinutes(1), 1 << 20), true, SseFrames.ENCODER);
        return older.publish(List.of(new PublishRequest("s", null,
                "from an older relay".getBytes(StandardCharsets.UTF_8))), 0).get(0);
    }

    /** Relay 0 of {@code cluster} takes a subscriber on stream {@code s}, then follows {@code fakeOrigin}. */
    private static SseClient subscribeThenFollow(TestCluster cluster, HttpServer fakeOrigin) {
        SseClient subscriber = cluster.relay(0).subscribe("/streams/s");
        await().until(() -> subscriber.lastEventId() != null);
        InetSocketAddress at = fakeOrigin.getAddress();
        cluster.peerSource(0).set(Set.of(cluster.peerAddress(0), new PeerAddress(at.getHostString(), at.getPort())));
        return subscriber;
    }

    /** Reads ACK frames from a follower's request body until one reaches {@code seq}; returns the last. */
    private static long awaitAck(InputStream acks, long seq) throws IOException {
        byte[] ack = new byte[13];
        long last = 0;
        while (last < seq && acks.readNBytes(ack, 0, 13) == 13) {
            last = ByteBuffer.wrap(ack, 5, 8).getLong();
        }
        return last;
    }

    /** Skips frames until a PENDING one, and returns its sequence number. */
    private static long pendingSeq(InputStream frames) throws IOException {
        byte[] frame;
        do {
            frame = frame(frames);
        } while (frame[0] != PeerFrames.PENDING);
        return ByteBuffer.wrap(frame, 5, 8).getLong();
    }

    /** One ACK frame as one chunk of a request body. */
    private static byte[] ackChunk(long seq) {
        byte[] frame = bytes(PeerFrames.ack(seq));
        byte[] size = (Integer.toHexString(frame.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] chunk = new byte[size.length + frame.length + 2];
        System.arraycopy(size, 0, chunk, 0, size.length);
        System.arraycopy(frame, 0, chunk, size.length, frame.length);
        chunk[chunk.length - 2] = '\r';
        chunk[chunk.length - 1] = '\n';
        return chunk;
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the response ended in its head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** An event of a fake origin's numbering, as its hub makes it: numbered 1. */
    private static io.sserelay.relay.stream.Event eventOf(String origin, String data) {
        StreamHub hub = new StreamHub(origin, new HistoryLimits(10, Duration.ofMinutes(1), 1 << 20), true, SseFrames.ENCODER);
        return hub.publish(List.of(new PublishRequest("s", null, bytes(data))), 0).get(0);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** One whole frame, header included. */
    private static byte[] frame(InputStream in) throws IOException {
        byte[] header = in.readNBytes(5);
        int length = ByteBuffer.wrap(header, 1, 4).getInt();
        byte[] frame = new byte[5 + length];
        System.arraycopy(header, 0, frame, 0, 5);
        System.arraycopy(in.readNBytes(length), 0, frame, 5, length);
        return frame;
    }

    /** Relay 1 follows relay 0 through a proxy the test can cut; relay 0 follows nobody. */
    private static TcpProxy followThroughProxy(TestCluster cluster) {
        TcpProxy proxy = new TcpProxy(cluster.peerAddress(0).host(), cluster.peerAddress(0).port());
        PeerAddress viaProxy = new PeerAddress("127.0.0.1", proxy.port());
        cluster.peerSource(1).set(Set.of(cluster.peerAddress(1), viaProxy));
        awaitFollowed(cluster);
        return proxy;
    }

    private static void awaitFollowed(TestCluster cluster) {
        await().until(() -> cluster.relay(1).relay().mesh().connectedLinks() == 1
                && cluster.relay(0).relay().mesh().followerCount() == 1);
    }

    static HttpResponse<String> publish(TestRelay relay, String stream, String data, String key) {
        return relay.post("/streams/" + stream, "text/plain", data, key == null ? Map.of() : Map.of("Idempotency-Key", key));
    }

    private static CompletableFuture<HttpResponse<String>> publishAsync(TestRelay relay, String stream, String data,
            String key) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(relay.url("/streams/" + stream)))
                .header("Authorization", "Bearer " + TestRelay.TOKEN).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(data));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return HTTP.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The PENDING frames of events numbered 1, 2, ... by a hub of the fake origin. */
    private static List<byte[]> pendingFrames(String... data) {
        StreamHub origin = new StreamHub("fakeorig", new HistoryLimits(10, Duration.ofMinutes(1), 1 << 20), true, SseFrames.ENCODER);
        List<byte[]> frames = new ArrayList<>();
        for (String d : data) {
            HeldBatch batch = origin.hold(List.of(new PublishRequest("s", null, d.getBytes(StandardCharsets.UTF_8))), null, 0);
            frames.add(bytes(PeerFrames.pending(batch.events().get(0))));
        }
        return frames;
    }

    private static byte[] bytes(ByteBuffer frame) {
        ByteBuffer copy = frame.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

}
