package io.sserelay.relay;

import io.sserelay.relay.support.SseClient;
import io.sserelay.relay.support.TestCluster;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Publishers on different relays and subscribers that hop between relays at random moments
 * with their last id; at the end every subscriber has exactly the events of its stream, each
 * once, each origin's in publish order. Bounded: a fixed number of events, hops and relays.
 * The seed is printed; rerun a failure with {@code -Dsserelay.seed=<seed>}.
 */
class RandomizedHopTest {

    private static final int RELAYS = 3;
    private static final int EVENTS_PER_PUBLISHER = 150;
    private static final int SUBSCRIBERS = 12;
    private static final List<String> STREAMS = List.of("alpha", "beta");

    @Test
    void subscribersHoppingBetweenRelaysReceiveEveryEventExactlyOnce() throws Exception {
        long seed = Long.getLong("sserelay.seed", System.nanoTime());
        System.out.println("RandomizedHopTest seed: " + seed + " (rerun with -Dsserelay.seed=" + seed + ")");
        Random random = new Random(seed);
        ExecutorService publishers = Executors.newFixedThreadPool(RELAYS);
        try (TestCluster cluster = TestCluster.start(RELAYS, Map.of())) {
            List<Hopper> hoppers = new ArrayList<>();
            for (int i = 0; i < SUBSCRIBERS; i++) {
                hoppers.add(new Hopper(STREAMS.get(i % STREAMS.size()), random.nextInt(RELAYS), cluster));
            }
            hoppers.forEach(Hopper::awaitConnected);

            Map<String, List<String>> published = new HashMap<>();
            STREAMS.forEach(s -> published.put(s, new ArrayList<>()));
            List<Future<?>> running = new ArrayList<>();
            for (int r = 0; r < RELAYS; r++) {
                int relay = r;
                long publisherSeed = random.nextLong();
                running.add(publishers.submit(() -> {
                    Random own = new Random(publisherSeed);
                    for (int n = 0; n < EVENTS_PER_PUBLISHER; n++) {
                        String stream = STREAMS.get(own.nextInt(STREAMS.size()));
                        String data = "p" + relay + "-" + n;
                        cluster.relay(relay).publish(stream, data);
                        synchronized (published) {
                            published.get(stream).add(data);
                        }
                    }
                }));
            }
            // Hop while the publishers run: each step moves one random subscriber to a random relay.
            while (running.stream().anyMatch(f -> !f.isDone())) {
                Hopper hopper = hoppers.get(random.nextInt(hoppers.size()));
                hopper.hopTo(random.nextInt(RELAYS));
            }
            for (Future<?> publisher : running) {
                publisher.get(1, TimeUnit.MINUTES);
            }

            for (Hopper hopper : hoppers) {
                int expected = published.get(hopper.stream).size();
                await().atMost(Duration.ofSeconds(30)).until(() -> hopper.received() >= expected);
                List<String> received = hopper.data();
                assertThat(received).as("seed %d: %s", seed, hopper).doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(published.get(hopper.stream));
                for (int r = 0; r < RELAYS; r++) {
                    String prefix = "p" + r + "-";
                    List<Integer> order = received.stream().filter(d -> d.startsWith(prefix))
                            .map(d -> Integer.parseInt(d.substring(prefix.length()))).toList();
                    assertThat(order).as("seed %d: %s, events of relay %d in publish order", seed, hopper, r).isSorted();
                }
                assertThat(hopper.resets()).as("seed %d: resets seen by %s", seed, hopper).isZero();
            }
            System.out.println("RandomizedHopTest: " + hoppers.stream().mapToInt(h -> h.hops).sum() + " hops, "
                    + RELAYS * EVENTS_PER_PUBLISHER + " events, " + SUBSCRIBERS + " subscribers");
            hoppers.forEach(Hopper::close);
        } finally {
            publishers.shutdownNow();
        }
    }

    /** One subscriber: its current connection plus everything its earlier connections received. */
    private static final class Hopper {
        final String stream;
        final TestCluster cluster;
        final List<String> earlier = new ArrayList<>();
        long earlierResets;
        SseClient current;
        /** Like a browser's EventSource, keeps the last id even across connections that sent none. */
        String lastId;
        int relay;
        int hops;

        Hopper(String stream, int relay, TestCluster cluster) {
            this.stream = stream;
            this.cluster = cluster;
            this.relay = relay;
            this.current = cluster.relay(relay).subscribe("/streams/" + stream);
        }

        void awaitConnected() {
            await().until(() -> current.lastEventId() != null);
            lastId = current.lastEventId();
        }

        void hopTo(int target) {
            current.closeAndWait();
            current.events().stream().filter(f -> !"reset".equals(f.event())).forEach(f -> earlier.add(f.data()));
            earlierResets += resetsOf(current);
            if (current.lastEventId() != null) {
                lastId = current.lastEventId();
            }
            relay = target;
            hops++;
            current = cluster.relay(target).subscribe("/streams/" + stream, Map.of("Last-Event-ID", lastId));
            assertThat(current.status()).as("resume on relay %d with %s", target, lastId).isEqualTo(200);
        }

        int received() {
            return earlier.size() + (int) current.events().stream().filter(f -> !"reset".equals(f.event())).count();
        }

        List<String> data() {
            List<String> all = new ArrayList<>(earlier);
            current.events().stream().filter(f -> !"reset".equals(f.event())).forEach(f -> all.add(f.data()));
            return all;
        }

        long resets() {
            return earlierResets + resetsOf(current);
        }

        void close() {
            current.close();
        }

        private static long resetsOf(SseClient client) {
            return client.events().stream().filter(f -> "reset".equals(f.event())).count();
        }

        @Override
        public String toString() {
            return "subscriber of " + stream + " on relay " + relay + " after " + hops + " hops";
        }
    }
}
