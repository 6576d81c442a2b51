package io.sserelay.relay.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sserelay.relay.cluster.ClusterNode.PublishCallback;
import io.sserelay.relay.cluster.ClusterNode.Settings;
import io.sserelay.relay.cluster.ClusterNode.Subscriber;
import io.sserelay.relay.cluster.ClusterRuntime;
import io.sserelay.relay.cluster.Entry;
import io.sserelay.relay.cluster.EventId;
import io.sserelay.relay.cluster.Message.Refusal;
import io.sserelay.relay.cluster.MessageCodec;
import io.sserelay.relay.cluster.MessageCodec.PayloadCodec;
import io.sserelay.relay.cluster.StringPayloads;
import io.sserelay.relay.cluster.View;
import io.sserelay.relay.http.UnexpectedErrors;
import io.undertow.Undertow;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stream-ownership protocol between relays over real sockets: each relay's runtime, links
 * and endpoint on a loopback address of its own. Concurrent publishers on every relay into
 * shared streams, subscribers on every relay, a relay killed and taken out of the view, and
 * started again empty at the same address: every stream has one sequence on every relay, no
 * acknowledged event is lost, and a subscriber that moves resumes exactly.
 */
class ClusterOverSocketsTest {

    private static final String TOKEN = "cluster-sockets-token-0123";
    private static final Settings SETTINGS = new Settings(2_000, 4_000, 100, 3_000, 5_000, 100_000, 10_000);
    private static final PayloadCodec<String> STRINGS = StringPayloads.CODEC;
    /** Frames of 1 KiB, so that syncs, handovers and catch-ups travel in fragments. */
    private static final MessageCodec<String> CODEC = new MessageCodec<>(STRINGS, 100_000, 1 << 10, 64 << 20);
    private static final List<String> STREAMS = List.of("s0", "s1", "s2", "s3");

    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final ExecutorService publishers = Executors.newFixedThreadPool(3);
    private long generation;

    @AfterEach
    void stopAll() {
        publishers.shutdownNow();
        nodes.values().forEach(Node::close);
    }

    @Test
    void everyRelaySeesOneOrderPerStreamThroughAKillAndARestartAndLosesNothingAcknowledged() throws Exception {
        List<String> addresses = List.of(address("127.0.9.1"), address("127.0.9.2"), address("127.0.9.3"));
        for (String address : addresses) {
            nodes.put(address, new Node(address, 1));
        }
        viewOf(addresses);
        Map<String, Map<String, Collector>> readers = new HashMap<>();
        for (String address : addresses) {
            readers.put(address, subscribeAll(nodes.get(address)));
        }
        // one more subscriber of s0 on the first relay, which will move to another relay
        String first = addresses.get(0);
        Collector mover = new Collector("s0");
        nodes.get(first).runtime.subscribe("s0", null, mover);

        List<Outcome> acknowledged = new CopyOnWriteArrayList<>();
        publishConcurrently(addresses, "one", 300, acknowledged);
        assertThat(acknowledged).as("with every relay up, every publish is acknowledged").hasSize(300);
        awaitSameSequences(readers, addresses, acknowledged);
        for (Outcome outcome : acknowledged) {
            assertThat(outcome.id().toString()).hasSizeLessThanOrEqualTo(EventId.MAX_TEXT_LENGTH);
        }

        await().until(() -> mover.entries.size() == readers.get(first).get("s0").entries.size());
        nodes.get(first).runtime.unsubscribe("s0", mover);
        int seenBeforeMoving = mover.entries.size();

        String victim = addresses.get(1);
        nodes.remove(victim).close();
        List<String> survivors = List.of(addresses.get(0), addresses.get(2));
        viewOf(survivors);
        await().untilAsserted(() -> survivors.forEach(survivor -> assertThat(nodes.get(survivor).links.linkCount())
                .as("links of %s once the killed relay left the view", survivor).isEqualTo(1)));
        publishConcurrently(survivors, "two", 200, acknowledged);
        Collector moved = mover.resumeOn(nodes.get(addresses.get(2)));
        readers.remove(victim);
        awaitSameSequences(readers, survivors, acknowledged);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(moved.payloads())
                .containsExactlyElementsOf(readers.get(addresses.get(2)).get("s0").payloads()
                        .subList(seenBeforeMoving, readers.get(addresses.get(2)).get("s0").entries.size())));
        assertThat(moved.resets).isZero();

        nodes.put(victim, new Node(victim, 2));
        viewOf(addresses);
        readers.put(victim, subscribeAll(nodes.get(victim)));
        publishConcurrently(addresses, "three", 150, acknowledged);
        awaitSameSequences(readers, addresses, acknowledged);
    }

    /**
     * A chaos loop over real sockets: five times a relay is killed, taken out of the view, and
     * started again empty at its address, while publishers write into four streams through every
     * live relay and each stream's subscribers move to a live relay with their last id whenever
     * theirs dies. Every subscriber of a stream ends with the same sequence, every acknowledged
     * event once in it, and no reset.
     */
    @Test
    void relaysKilledAndRestartedOneAfterAnotherLoseNothingAcknowledgedAndKeepOneOrder() throws Exception {
        List<String> addresses = List.of(address("127.0.9.11"), address("127.0.9.12"), address("127.0.9.13"),
                address("127.0.9.14"));
        Map<String, Long> incarnations = new HashMap<>();
        for (String address : addresses) {
            incarnations.put(address, 1L);
            nodes.put(address, new Node(address, 1));
        }
        viewOf(addresses);
        List<Hopper> hoppers = new ArrayList<>();
        for (String stream : STREAMS) {
            for (String address : addresses) {
                hoppers.add(new Hopper(stream, address));
            }
        }
        java.util.Random random = new java.util.Random(2026);
        List<Outcome> acknowledged = new CopyOnWriteArrayList<>();
        for (int round = 0; round < 5; round++) {
            String victim = addresses.get(random.nextInt(addresses.size()));
            nodes.remove(victim).close();
            List<String> alive = addresses.stream().filter(a -> !a.equals(victim)).toList();
            viewOf(alive);
            for (Hopper hopper : hoppers) {
                if (hopper.on.equals(victim)) {
                    hopper.moveTo(alive.get(random.nextInt(alive.size())));
                }
            }
            publishConcurrently(alive, "down" + round, 120, acknowledged);
            awaitEveryStreamAcknowledges(alive, acknowledged);
            incarnations.merge(victim, 1L, Long::sum);
            nodes.put(victim, new Node(victim, incarnations.get(victim)));
            viewOf(addresses);
            publishConcurrently(addresses, "up" + round, 120, acknowledged);
            awaitEveryStreamAcknowledges(addresses, acknowledged);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String stream : STREAMS) {
                List<String> expected = acknowledged.stream().filter(o -> o.stream().equals(stream))
                        .map(Outcome::payload).toList();
                List<Hopper> ofStream = hoppers.stream().filter(h -> h.stream.equals(stream)).toList();
                List<Entry<String>> reference = ofStream.get(0).entries;
                assertThat(reference.stream().map(Entry::payload).toList()).doesNotHaveDuplicates()
                        .containsAll(expected);
                for (Hopper hopper : ofStream) {
                    assertThat(hopper.resets).as("resets of a subscriber of %s", stream).isZero();
                    assertThat(hopper.entries).as("a subscriber of %s", stream).containsExactlyElementsOf(reference);
                }
            }
        });
    }

    /** Publishes into every stream until each has acknowledged one: its owner and replica are in place. */
    private void awaitEveryStreamAcknowledges(List<String> via, List<Outcome> acknowledged) {
        for (String stream : STREAMS) {
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                Outcome result = publishOne(nodes.get(via.get(0)), stream, "probe-" + stream + "-" + System.nanoTime())
                        .get();
                if (result != null) {
                    acknowledged.add(result);
                }
                return result != null;
            });
        }
    }

    /** A subscriber of one stream that moves to another relay, with its last id, when its relay dies. */
    private final class Hopper implements Subscriber<String> {
        final String stream;
        final List<Entry<String>> entries = new CopyOnWriteArrayList<>();
        volatile int resets;
        volatile String on;

        Hopper(String stream, String on) {
            this.stream = stream;
            this.on = on;
            nodes.get(on).runtime.subscribe(stream, null, this);
        }

        void moveTo(String relay) {
            on = relay;
            nodes.get(relay).runtime.subscribe(stream, entries.isEmpty() ? null : entries.get(entries.size() - 1).id(),
                    this);
        }

        @Override
        public void onEvent(String eventStream, Entry<String> entry) {
            entries.add(entry);
        }

        @Override
        public void onReset(String eventStream, EventId resumeFrom) {
            resets++;
        }
    }

    private void viewOf(List<String> members) {
        View view = View.of(++generation, members);
        nodes.values().forEach(node -> node.runtime.view(view));
    }

    private static Map<String, Collector> subscribeAll(Node node) {
        Map<String, Collector> collectors = new HashMap<>();
        for (String stream : STREAMS) {
            Collector collector = new Collector(stream);
            node.runtime.subscribe(stream, null, collector);
            collectors.put(stream, collector);
        }
        return collectors;
    }

    /** Publishes {@code count} events, spread over the relays and the streams, from three threads at once. */
    private void publishConcurrently(List<String> via, String round, int count, List<Outcome> acknowledged)
            throws Exception {
        List<CompletableFuture<Outcome>> outcomes = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Void>> threads = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            int thread = t;
            threads.add(CompletableFuture.runAsync(() -> {
                for (int n = thread; n < count; n += 3) {
                    Node node = nodes.get(via.get(n % via.size()));
                    String stream = STREAMS.get(n % STREAMS.size());
                    outcomes.add(publishOne(node, stream, round + "-" + n));
                }
            }, publishers));
        }
        CompletableFuture.allOf(threads.toArray(new CompletableFuture[0])).get();
        for (CompletableFuture<Outcome> outcome : outcomes) {
            Outcome result = outcome.get();
            if (result != null) {
                acknowledged.add(result);
            }
        }
    }

    /** One event published through {@code node}: its outcome, or null when it was refused. */
    private static CompletableFuture<Outcome> publishOne(Node node, String stream, String payload) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        node.runtime.publish(stream, List.of(payload), null, null, new PublishCallback() {
            @Override
            public void published(List<EventId> ids, boolean replayed) {
                outcome.complete(new Outcome(stream, payload, ids.get(0)));
            }

            @Override
            public void refused(Refusal code, String reason) {
                outcome.complete(null);
            }
        });
        return outcome;
    }

    /** Every stream's subscribers on {@code on} hold the same sequence, with every acknowledged event once. */
    private static void awaitSameSequences(Map<String, Map<String, Collector>> readers, List<String> on,
            List<Outcome> acknowledged) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String stream : STREAMS) {
                List<String> expected = acknowledged.stream().filter(o -> o.stream().equals(stream))
                        .map(Outcome::payload).toList();
                List<Entry<String>> reference = readers.get(on.get(0)).get(stream).entries;
                for (String address : on) {
                    Collector collector = readers.get(address).get(stream);
                    assertThat(collector.resets).isZero();
                    assertThat(collector.entries).as("%s on %s", stream, address).containsExactlyElementsOf(reference);
                }
                assertThat(reference.stream().map(Entry::payload).toList()).doesNotHaveDuplicates()
                        .containsAll(expected);
                List<EventId> ids = reference.stream().map(Entry::id).toList();
                for (int i = 1; i < ids.size(); i++) {
                    assertThat(ids.get(i).offset()).isGreaterThan(ids.get(i - 1).offset());
                }
            }
        });
        for (Outcome outcome : acknowledged) {
            Entry<String> delivered = readers.get(on.get(0)).get(outcome.stream()).entries.stream()
                    .filter(e -> e.payload().equals(outcome.payload())).findFirst().orElseThrow();
            assertThat(delivered.id()).as("the id of the 202 is the id subscribers see").isEqualTo(outcome.id());
        }
    }

    private static String address(String host) throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return host + ":" + probe.getLocalPort();
        }
    }

    private record Outcome(String stream, String payload, EventId id) {
    }

    static final class Collector implements Subscriber<String> {
        final String stream;
        final List<Entry<String>> entries = new CopyOnWriteArrayList<>();
        volatile int resets;

        Collector(String stream) {
            this.stream = stream;
        }

        @Override
        public void onEvent(String eventStream, Entry<String> entry) {
            entries.add(entry);
        }

        @Override
        public void onReset(String eventStream, EventId resumeFrom) {
            resets++;
        }

        List<String> payloads() {
            return entries.stream().map(Entry::payload).toList();
        }

        /** A new subscription on {@code node} from this one's last id, as a reconnecting browser makes. */
        Collector resumeOn(Node node) {
            Collector next = new Collector(stream);
            node.runtime.subscribe(stream, entries.get(entries.size() - 1).id(), next);
            return next;
        }
    }

    private static final class Node implements AutoCloseable {
        final ClusterRuntime<String> runtime;
        final ClusterLinks links;
        final Undertow server;

        Node(String address, long incarnation) {
            PeerAddress peer = PeerAddress.parse(address);
            links = new ClusterLinks(address, TOKEN, CODEC, 8 << 20);
            runtime = new ClusterRuntime<String>(address, incarnation, SETTINGS, links).start(20);
            server = Undertow.builder().addHttpListener(peer.port(), peer.host())
                    .setHandler(new ClusterEndpoint<>(runtime, CODEC, TOKEN, new UnexpectedErrors(where -> { })))
                    .build();
            server.start();
        }

        @Override
        public void close() {
            server.stop();
            links.close();
            runtime.close();
        }
    }

    @Test
    void theEndpointRefusesStrangersAndMalformedFramesWithTheReason() throws Exception {
        String address = address("127.0.9.4");
        Node node = new Node(address, 1);
        nodes.put(address, node);
        PeerAddress peer = PeerAddress.parse(address);
        assertThat(exchange(peer, "POST /peer/v2/cluster HTTP/1.1\r\nHost: x\r\nX-Relay-Peer: 127.0.9.5:1\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n")).startsWith("HTTP/1.1 401");
        assertThat(exchange(peer, "POST /peer/v2/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-token-12345678\r\n"
                + "X-Relay-Peer: 127.0.9.5:1\r\nTransfer-Encoding: chunked\r\n\r\n")).startsWith("HTTP/1.1 403");
        assertThat(exchange(peer, "POST /peer/v2/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nX-Relay-Peer: 127.0.9.5:1\r\nContent-Length: 0\r\n\r\n")).startsWith("HTTP/1.1 400")
                .contains("not_chunked");
        assertThat(exchange(peer, "POST /peer/v2/cluster HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                + "\r\nX-Relay-Peer: 127.0.9.5:1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n\u007f\u0000\u0000\u0000\r\n"))
                .startsWith("HTTP/1.1 400").contains("malformed_frame").contains("limit");
        assertThat(exchange(peer, "GET /peer/v2/cluster HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 405");
    }

    private static String exchange(PeerAddress peer, String request) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(peer.host(), peer.port()), 2_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            byte[] answer = new byte[2_048];
            int read = socket.getInputStream().read(answer);
            return read < 0 ? "" : new String(answer, 0, read, StandardCharsets.ISO_8859_1);
        }
    }
}
