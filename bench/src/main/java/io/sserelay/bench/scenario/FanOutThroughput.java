package io.sserelay.bench.scenario;

import io.sserelay.bench.Await;
import io.sserelay.bench.client.EventPayload;
import io.sserelay.bench.client.HttpPublisher;
import io.sserelay.bench.client.PacedPublisher;
import io.sserelay.bench.client.SseLoadClient;
import io.sserelay.bench.client.Subscription;
import io.sserelay.bench.client.WindowedPublisher;
import io.sserelay.bench.relay.RelayProcess;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S1: one relay, many subscribers on one stream, 100-byte events.
 *
 * <p>Two measurements. The sweep finds the most deliveries per second the relay sustains at
 * several subscriber counts, with a publisher that keeps a fixed number of events out at a
 * time. The paced run then publishes at the target rate to the full count of subscribers and
 * measures publish-to-receive latency, corrected for coordinated omission, and checks that
 * every subscriber got every event once, in order.
 */
public final class FanOutThroughput implements Scenario {

        private static final int TARGET_DELIVERIES = 1_000_000;
    private static final double TARGET_P99_MS = 50;
    private static final int WINDOW = 200;
    private static final int BATCH = 10;

    @Override
    public String id() {
        return "S1";
    }

    @Override
    public String title() {
        return "Fan-out throughput: 1 relay, 10,000 subscribers on one stream";
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        int subscribers = context.count(10_000, 50);
        int[] sweep = {subscribers / 10, subscribers / 4, subscribers / 2, subscribers};
        Duration sweepTime = context.duration(Duration.ofSeconds(8), Duration.ofSeconds(2));
        Duration warmUp = context.duration(Duration.ofSeconds(5), Duration.ofSeconds(1));
        Duration measured = context.duration(Duration.ofSeconds(20), Duration.ofSeconds(2));
        // 10 % above the rate that gives the target at the full subscriber count, so that
        // meeting the target is not a matter of rounding.
        double rate = Math.ceil(1.1 * TARGET_DELIVERIES / 10_000);

        List<Figure> sweepFigures = new ArrayList<>();
        List<double[]> throughput = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try (RelayProcess relay = context.startRelay("s1-relay", "127.0.0.11", Map.of());
             SseLoadClient client = context.loadClient(2)) {
            InetSocketAddress address = relay.address();
            for (int count : sweep) {
                double perSecond = maxThroughput(client, address, count, sweepTime, WINDOW);
                throughput.add(new double[] {count, perSecond});
                sweepFigures.add(Figure.info("max deliveries/s, " + Format.number(count) + " subscribers", perSecond, "/s"));
            }

            SubscriberGroup group = SubscriberGroup.open(client, subscribers, address, "/streams/paced")
                    .awaitOpen(Duration.ofSeconds(60));
            long total = Math.round(rate * (warmUp.toMillis() + measured.toMillis()) / 1000.0);
            Histogram latency;
            PacedRun paced = pacedRun(client, address, "paced", rate, total, warmUp, measured);
            double deliveriesPerSecond = paced.deliveriesPerSecond();
            long published = paced.published();
            group.awaitReceivedUpTo(published, Duration.ofSeconds(60));
            latency = client.takeLatency();
            Histogram burst = singleEventFanOut(client, group, address, published, context.count(20, 5));
            long missing = group.missing(published);
            long misordered = group.sum(Subscription::duplicates) + group.sum(Subscription::outOfOrder);
            long disconnected = group.ended();
            client.closeAll();
            Await.until("the paced subscriptions to close", Duration.ofSeconds(60), () -> client.openSubscriptions() == 0);
            Histogram floor = LoopbackFloor.measure(client, new InetSocketAddress("127.0.0.12", 9090), subscribers,
                    context.count(20, 5));
            List<Figure> figures = new ArrayList<>();
            figures.add(Figure.atLeast("deliveries/s sustained, paced at " + Format.number(rate * subscribers) + "/s",
                    deliveriesPerSecond, "/s", (double) TARGET_DELIVERIES * subscribers / 10_000));
            figures.add(Figure.below("p99 publish to receive",
                    Percentiles.millis(latency.getValueAtPercentile(99)), "ms", TARGET_P99_MS));
            figures.add(Figure.info("p50 publish to receive",
                    Percentiles.millis(latency.getValueAtPercentile(50)), "ms"));
            figures.add(Figure.info("p99.9 publish to receive",
                    Percentiles.millis(latency.getValueAtPercentile(99.9)), "ms"));
            figures.add(Figure.info("max publish to receive", Percentiles.millis(latency.getMaxValue()), "ms"));
            figures.add(Figure.none("events lost", missing));
            figures.add(Figure.none("events duplicated or out of order", misordered));
            figures.add(Figure.none("subscribers disconnected", disconnected));
            figures.addAll(sweepFigures);
            figures.add(Figure.info("one event to all idle subscribers, p50 until the last has it",
                    Percentiles.millis(burst.getValueAtPercentile(50)), "ms"));
            figures.add(Figure.info("one event to all idle subscribers, max until the last has it",
                    Percentiles.millis(burst.getMaxValue()), "ms"));
            figures.add(Figure.info("the same from a bare loopback server, no relay: p50",
                    Percentiles.millis(floor.getValueAtPercentile(50)), "ms"));
            figures.add(Figure.info("the same from a bare loopback server, no relay: max",
                    Percentiles.millis(floor.getMaxValue()), "ms"));
            notes.add("Latency is measured from each event's intended send time on the publisher's fixed schedule, "
                    + "so a publisher held up by the relay counts the delay (coordinated omission corrected).");
            notes.add("One event to all idle subscribers is the floor under the paced run's latency: no event waits "
                    + "behind another. The bare loopback server writes the same frame to as many sockets from two "
                    + "threads, with nothing else to do; the difference is what the relay adds.");
            notes.add("The sweep's publisher sends batches of " + BATCH + " events (POST /publish) and keeps "
                    + WINDOW + " events out until every subscriber has them; it measures capacity, not latency.");
            String setup = String.format("%s subscribers on one stream of one relay, %d-byte events; paced run at %s "
                            + "events/s for %d s after %d s of warm-up; sweep %d s per point.",
                    Format.number(subscribers), BenchContext.EVENT_BYTES, Format.number(rate), measured.toSeconds(),
                    warmUp.toSeconds(), sweepTime.toSeconds());
            Map<String, List<double[]>> series = new LinkedHashMap<>();
            series.put("latency", Percentiles.of(latency));
            series.put("throughput", throughput);
            return new ScenarioResult(id(), title(), setup, figures, series, notes);
        }
    }

    /** What a paced run measured: deliveries per second after the warm-up, and the events published. */
    record PacedRun(double deliveriesPerSecond, long published) {
    }

    /**
     * Publishes {@code total} events to {@code stream} at {@code rate} a second and measures the
     * deliveries per second after {@code warmUp}; latency is recorded from then on.
     */
    static PacedRun pacedRun(SseLoadClient client, InetSocketAddress address, String stream, double rate, long total,
                             Duration warmUp, Duration measured) throws InterruptedException {
        try (PacedPublisher publisher = new PacedPublisher(List.of(address), BenchContext.PUBLISH_TOKEN, seq -> stream,
                rate, BenchContext.EVENT_BYTES, total)) {
            long measureFrom = EventPayload.now() + warmUp.toNanos();
            client.recordLatencyFrom(measureFrom);
            Await.until("the warm-up to end", warmUp.plusSeconds(30), () -> EventPayload.now() >= measureFrom);
            long deliveredBefore = client.delivered();
            long start = System.nanoTime();
            Await.until("the paced publisher to finish", measured.plusSeconds(60), publisher::finished);
            long elapsed = System.nanoTime() - start;
            double deliveriesPerSecond = (client.delivered() - deliveredBefore) * 1e9 / elapsed;
            failIfFailed(publisher.failure());
            return new PacedRun(deliveriesPerSecond, publisher.published());
        }
    }

    /**
     * The floor under fan-out latency: publishes single events to the idle subscribers, one at a
     * time, and records for each how long until the last subscriber had it. No event waits behind
     * another here, so this is the time one sweep over every connection takes.
     */
    private static Histogram singleEventFanOut(SseLoadClient client, SubscriberGroup group, InetSocketAddress relay,
                                               long lastSeq, int events) throws IOException {
        Histogram lastArrival = new Histogram(3);
        try (HttpPublisher publisher = new HttpPublisher(relay, BenchContext.PUBLISH_TOKEN)) {
            for (long seq = lastSeq + 1; seq <= lastSeq + events; seq++) {
                long sent = EventPayload.now();
                client.recordLatencyFrom(sent);
                publisher.publish("paced", EventPayload.encode(seq, sent, BenchContext.EVENT_BYTES));
                group.awaitReceivedUpTo(seq, Duration.ofSeconds(30));
                lastArrival.recordValue(client.takeLatency().getMaxValue());
            }
        }
        return lastArrival;
    }

    /** Deliveries per second with {@code count} subscribers and a publisher that keeps {@code window} events out. */
    static double maxThroughput(SseLoadClient client, InetSocketAddress relay, int count, Duration time, int window)
            throws InterruptedException {
        String stream = "sweep-" + count;
        SubscriberGroup group = SubscriberGroup.open(client, count, relay, "/streams/" + stream)
                .awaitOpen(Duration.ofSeconds(60));
        try (WindowedPublisher publisher = new WindowedPublisher(relay, BenchContext.PUBLISH_TOKEN, stream,
                BenchContext.EVENT_BYTES, BATCH, window, count)) {
            client.observeDeliveries(publisher::delivered);
            publisher.start();
            Thread.sleep(1_000); // warm-up
            long before = publisher.completed();
            long start = System.nanoTime();
            Thread.sleep(time.toMillis()); // the measured interval
            double perSecond = (publisher.completed() - before) * (double) count * 1e9 / (System.nanoTime() - start);
            failIfFailed(publisher.failure());
            if (group.ended() > 0) {
                throw new IllegalStateException(group.ended() + " of " + count + " sweep subscribers were disconnected;"
                        + " the first ended " + group.firstEnded());
            }
            return perSecond;
        } finally {
            client.observeDeliveries(seq -> { });
            client.closeAll();
            Await.until("the sweep's subscriptions to close", Duration.ofSeconds(30),
                    () -> client.openSubscriptions() == 0);
        }
    }

    static void failIfFailed(Throwable failure) {
        if (failure != null) {
            throw new IllegalStateException("the publisher failed: " + failure.getMessage(), failure);
        }
    }
}
