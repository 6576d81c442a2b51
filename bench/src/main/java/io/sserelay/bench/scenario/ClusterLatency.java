package io.sserelay.bench.scenario;

import io.sserelay.bench.Await;
import io.sserelay.bench.client.EventPayload;
import io.sserelay.bench.client.HttpPublisher;
import io.sserelay.bench.client.PacedPublisher;
import io.sserelay.bench.client.SseLoadClient;
import io.sserelay.bench.client.Subscription;
import io.sserelay.bench.relay.RelayProcess;
import io.sserelay.e2e.RelayHttp;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * S2: three clustered relays, subscribers spread over them, events published round-robin to
 * the three: two thirds of all deliveries cross a peer link. Measures publish-to-receive
 * latency (corrected for coordinated omission) and the publishers' wait for their 202, and
 * checks every subscriber got each of its stream's events exactly once. Runs twice: with
 * replicated acknowledgements (the default: a 202 once a peer holds the event, and delivery
 * after that) and with local ones (RELAY_PUBLISH_ACK=local), so the figures show what the
 * guarantee costs.
 *
 * <p>The subscribers are spread over 1,000 streams, each with one subscriber on every
 * relay, and event {@code i} goes to stream {@code i mod 1000} on relay {@code i mod 3}: every
 * event is delivered once by the relay it was published to and once by each of its two peers.
 * On a single stream the scenario would ask for 6 million deliveries a second, six times S1's
 * fan-out target, and would measure saturation rather than the cluster's latency.
 */
public final class ClusterLatency implements Scenario {

    private static final int RELAYS = 3;
    private static final double RATE = 2_000;
    /**
     * Publishing connections per relay. A replicated 202 waits for a peer's acknowledgement, about
     * a millisecond, and at times several: one connection per relay, with a period of 1.5 ms, fell
     * behind its schedule by up to 1.7 s in the first runs, which is the publisher's queue, not the
     * cluster's latency. Four keep the schedule as a real publisher with a few connections would.
     */
    static final int PUBLISH_CONNECTIONS = 4;
    private static final double TARGET_P99_MS = 10;
    private static final double TARGET_P999_MS = 25;

    @Override
    public String id() {
        return "S2";
    }

    @Override
    public String title() {
        return "Cluster latency: 3 relays, 3,000 subscribers, 2,000 events/s round-robin";
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        List<Figure> figures = new ArrayList<>();
        Map<String, List<double[]>> series = new java.util.LinkedHashMap<>();
        String setup = null;
        for (String mode : List.of("replicated", "local")) {
            Run run = run(context, mode);
            figures.addAll(run.figures());
            // "latency" is what the report charts: the default mode's.
            series.put(mode.equals("replicated") ? "latency" : "latency-" + mode, Percentiles.of(run.delivery()));
            series.put("publish-latency-" + mode, Percentiles.of(run.publish()));
            setup = run.setup();
        }
        List<String> notes = List.of(
                "Two thirds of the deliveries cross a peer link: published on one relay, delivered by another.",
                "Each stream has one subscriber on each relay; on one stream for all 3,000 the scenario would be "
                        + "6 million deliveries/s, six times S1's target.",
                "replicated: a publish is answered 202, and delivered anywhere, once a peer acknowledged holding it; "
                        + "local: at once (RELAY_PUBLISH_ACK=local). Publish to 202 is measured by the publisher, from "
                        + "sending the request to reading the answer, on " + PUBLISH_CONNECTIONS + " connections per relay"
                        + " with one request at a time each: with one, a publisher that waits about a period (1.5 ms)"
                        + " for each replicated 202 falls behind its schedule, and the delay counts as latency.");
        return new ScenarioResult(id(), title(), setup + " Run once with each acknowledgement mode.", figures, series, notes);
    }

    /** One run's figures, named with the mode, and its latencies in microseconds. */
    private record Run(List<Figure> figures, Histogram delivery, Histogram publish, String setup) {
    }

    private Run run(BenchContext context, String mode) throws Exception {
        int streams = context.count(1_000, 20);
        int subscribers = streams * RELAYS;
        // Long enough for the JIT: a relay's compiler is busy for about 25 s after start (S2 profile,
        // docs/performance.md), and what it compiles meanwhile takes a core from a two-core machine.
        Duration warmUp = context.duration(Duration.ofSeconds(20), Duration.ofSeconds(1));
        Duration measured = context.duration(Duration.ofSeconds(20), Duration.ofSeconds(2));
        long total = Math.round(RATE * (warmUp.toMillis() + measured.toMillis()) / 1000.0);

        List<RelayProcess> relays = new ArrayList<>();
        try (SseLoadClient client = context.loadClient(2)) {
            String peers = String.join(",", List.of("127.0.0.21:7070", "127.0.0.22:7070", "127.0.0.23:7070"));
            relays.addAll(context.startCluster("s2-" + mode + "-relay-", List.of("127.0.0.21", "127.0.0.22", "127.0.0.23"),
                    Map.of("RELAY_PEERS", peers, "RELAY_PEER_TOKEN", BenchContext.PEER_TOKEN, "RELAY_PUBLISH_ACK", mode)));
            Await.until("the relays to follow each other", Duration.ofSeconds(60),
                    () -> relays.stream().allMatch(r -> RelayHttp.meshedWith(r.adminUrl(), RELAYS - 1)));
            List<InetSocketAddress> addresses = relays.stream().map(RelayProcess::address).toList();
            warmUp(addresses);

            // Subscriber j is on relay j mod 3 and stream (j / 3) mod streams.
            SubscriberGroup group = SubscriberGroup.open(client, subscribers, j -> addresses.get(j % RELAYS),
                    j -> "/streams/" + stream((j / RELAYS) % streams), j -> null)
                    .awaitOpen(Duration.ofSeconds(60));
            double publisherLag;
            Histogram publishLatency;
            try (PacedPublisher publisher = new PacedPublisher(addresses, PUBLISH_CONNECTIONS, BenchContext.PUBLISH_TOKEN,
                    seq -> stream((int) ((seq - 1) % streams)), RATE, BenchContext.EVENT_BYTES, total)) {
                long measureFrom = EventPayload.now() + warmUp.toNanos();
                client.recordLatencyFrom(measureFrom);
                publisher.measurePublishLatencyFrom(measureFrom);
                Await.until("the paced publisher to finish", warmUp.plus(measured).plusSeconds(60), publisher::finished);
                FanOutThroughput.failIfFailed(publisher.failure());
                publisherLag = publisher.maxLagNanos() / 1e6;
                publishLatency = publisher.publishLatency();
            }
            // Every subscriber must end up with exactly the events of its stream.
            Await.until("every subscriber to receive its stream's events", Duration.ofSeconds(60), () -> {
                for (int j = 0; j < group.size(); j++) {
                    if (group.subscriptions().get(j).distinct() < expected(total, streams, (j / RELAYS) % streams)) {
                        return false;
                    }
                }
                return true;
            });
            Histogram latency = client.takeLatency();
            long missing = 0;
            for (int j = 0; j < group.size(); j++) {
                missing += expected(total, streams, (j / RELAYS) % streams) - group.subscriptions().get(j).distinct();
            }
            String in = " (" + mode + ")";
            List<Figure> figures = new ArrayList<>();
            figures.add(Figure.below("p99 publish to receive" + in, Percentiles.millis(latency.getValueAtPercentile(99)),
                    "ms", TARGET_P99_MS));
            figures.add(Figure.below("p99.9 publish to receive" + in,
                    Percentiles.millis(latency.getValueAtPercentile(99.9)), "ms", TARGET_P999_MS));
            figures.add(Figure.info("p50 publish to receive" + in, Percentiles.millis(latency.getValueAtPercentile(50)),
                    "ms"));
            figures.add(Figure.info("max publish to receive" + in, Percentiles.millis(latency.getMaxValue()), "ms"));
            figures.add(Figure.info("p50 publish to 202" + in,
                    Percentiles.millis(publishLatency.getValueAtPercentile(50)), "ms"));
            figures.add(Figure.info("p99 publish to 202" + in,
                    Percentiles.millis(publishLatency.getValueAtPercentile(99)), "ms"));
            figures.add(Figure.info("max publish to 202" + in, Percentiles.millis(publishLatency.getMaxValue()), "ms"));
            figures.add(Figure.info("deliveries measured" + in, latency.getTotalCount(), ""));
            figures.add(Figure.info("publisher's worst lag behind its schedule" + in, publisherLag, "ms"));
            figures.add(Figure.none("events lost" + in, missing));
            figures.add(Figure.none("events duplicated" + in, group.sum(Subscription::duplicates)));
            figures.add(Figure.none("subscribers disconnected" + in, group.ended()));
            String setup = String.format("3 relays on 127.0.0.21-23 in one cluster; %s subscribers, a third on "
                            + "each relay, over %d streams (%d per stream); %s events/s of %d bytes, event i to relay "
                            + "i mod 3 and stream i mod %d; %d s measured after %d s of warm-up.",
                    Format.number(subscribers), streams, RELAYS, Format.number(RATE),
                    BenchContext.EVENT_BYTES, streams, measured.toSeconds(), warmUp.toSeconds());
            return new Run(figures, latency, publishLatency, setup);
        } finally {
            relays.forEach(RelayProcess::close);
        }
    }

    /** Publishes a few thousand events to each relay so that the measured run meets compiled code. */
    private static void warmUp(List<InetSocketAddress> relays) throws IOException {
        for (InetSocketAddress relay : relays) {
            try (HttpPublisher publisher = new HttpPublisher(relay, BenchContext.PUBLISH_TOKEN)) {
                for (int i = 1; i <= 3_000; i++) {
                    publisher.publish("warm-up", EventPayload.encode(i, EventPayload.now(), BenchContext.EVENT_BYTES));
                }
            }
        }
    }

    private static String stream(int index) {
        return "cluster-" + index;
    }

    /** How many of events 1..total go to stream {@code index} of {@code streams}. */
    private static long expected(long total, int streams, int index) {
        return total / streams + (index < total % streams ? 1 : 0);
    }
}
