package io.sserelay.bench.scenario;

import io.fabric8.kubernetes.api.model.Quantity;
import io.sserelay.api.relay.RelayDefaults;
import io.sserelay.bench.Await;
import io.sserelay.bench.client.SseLoadClient;
import io.sserelay.bench.client.Subscription;
import io.sserelay.bench.relay.RelayProcess;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * S8: a relay as the operator runs it by default, in its container's memory limit: the image's
 * JVM options ({@code relay/jvm.options}) with {@code -XX:MaxRAM} at the default limit and
 * the processor count the operator gives it, 10,000 subscribers on one stream and 500,000
 * deliveries a second. Reports the process's resident memory, sampled throughout, against
 * the target of 256 MiB.
 */
public final class ContainerMemory implements Scenario {

    private static final double TARGET_RSS_MIB = 256;
    private static final int TARGET_DELIVERIES = 500_000;
    private static final int SUBSCRIBERS = 10_000;
    /**
     * Events the sweep's publisher keeps out. S1's 200 would queue 200 events for each of 10,000
     * subscribers, 64 MB by the queues' budget, which at this heap is 16 MB: the relay would rightly
     * cut subscribers off as slow. 30 stay within it.
     */
    private static final int SWEEP_WINDOW = 30;

    private final Path jvmOptions;

    /** @param jvmOptions the relay image's JVM options, {@code relay/jvm.options} */
    public ContainerMemory(Path jvmOptions) {
        this.jvmOptions = jvmOptions;
    }

    @Override
    public String id() {
        return "S8";
    }

    @Override
    public String title() {
        return "A relay in its default container limit: 10,000 subscribers at 500,000 deliveries/s";
    }

    /** The options of the relay image, as the java launcher reads its argument file. */
    static List<String> imageJvmOptions(Path file) {
        try {
            List<String> options = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                String option = line.strip();
                if (!option.isEmpty() && !option.startsWith("#")) {
                    options.add(option);
                }
            }
            return options;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the image's JVM options from " + file, e);
        }
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        int subscribers = context.count(SUBSCRIBERS, 50);
        Duration warmUp = context.duration(Duration.ofSeconds(10), Duration.ofSeconds(2));
        Duration measured = context.duration(Duration.ofSeconds(30), Duration.ofSeconds(3));
        double rate = Math.ceil((double) TARGET_DELIVERIES / SUBSCRIBERS);
        long limit = new Quantity(RelayDefaults.MEMORY).getNumericalAmount().longValueExact();
        List<String> jvm = new ArrayList<>(imageJvmOptions(jvmOptions));
        jvm.add("-XX:MaxRAM=" + limit);
        jvm.add("-XX:ActiveProcessorCount=" + Integer.parseInt(RelayDefaults.CPU_LIMIT));

        try (RelayProcess relay = context.startRelay("s8-relay", "127.0.0.81", Map.of(), jvm);
             SseLoadClient client = context.loadClient(2);
             Sampler rss = new Sampler(relay)) {
            long idle = relay.residentBytes();
            SubscriberGroup group = SubscriberGroup.open(client, subscribers, relay.address(), "/streams/sized")
                    .awaitOpen(Duration.ofSeconds(120));
            long connected = relay.residentBytes();
            long total = Math.round(rate * (warmUp.toMillis() + measured.toMillis()) / 1000.0);
            Histogram latency;
            long peakWhileIdle = rss.peak();
            rss.reset();
            FanOutThroughput.PacedRun paced = FanOutThroughput.pacedRun(client, relay.address(), "sized", rate, total,
                    warmUp, measured);
            double deliveriesPerSecond = paced.deliveriesPerSecond();
            long published = paced.published();
            try {
                group.awaitReceivedUpTo(published, Duration.ofSeconds(60));
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + "; " + group.ended() + " subscriptions ended; the relay: "
                        + relay.metrics().lines().filter(line -> line.startsWith("sserelay_subscribers_disconnected_total") || line.startsWith("sserelay_subscribers_refused_total")
                                || line.startsWith("sserelay_subscriber_queues") || line.startsWith("jvm_memory_used_bytes"))
                        .toList(), e);
            }
            latency = client.takeLatency();
            long peak = Math.max(peakWhileIdle, rss.peak());
            long missing = group.missing(published);
            long misordered = group.sum(Subscription::duplicates) + group.sum(Subscription::outOfOrder);
            long disconnected = group.ended();
            client.closeAll();
            // Until the relay has let them go too: their memory counts against its connections' budget.
            Await.until("the paced subscriptions to close", Duration.ofSeconds(60),
                    () -> client.openSubscriptions() == 0 && relay.metric("sserelay_connections") == 0);
            // The same sweep as S1's at the full count, to compare throughput in the limit with S1's heap.
            rss.reset();
            double sweep = FanOutThroughput.maxThroughput(client, relay.address(), subscribers,
                    context.duration(Duration.ofSeconds(8), Duration.ofSeconds(2)), SWEEP_WINDOW);
            long sweepPeak = rss.peak();
            double mib = 1024.0 * 1024;

            List<Figure> figures = new ArrayList<>();
            figures.add(Figure.atMost("peak resident memory", peak / mib, "MiB", TARGET_RSS_MIB));
            figures.add(Figure.atLeast("deliveries/s sustained, paced at " + Format.number(rate * subscribers) + "/s",
                    deliveriesPerSecond, "/s", (double) TARGET_DELIVERIES * subscribers / SUBSCRIBERS));
            figures.add(Figure.none("events lost", missing));
            figures.add(Figure.none("events duplicated or out of order", misordered));
            figures.add(Figure.none("subscribers disconnected", disconnected));
            figures.add(Figure.info("resident memory at start", idle / mib, "MiB"));
            figures.add(Figure.info("resident memory with the subscribers connected", connected / mib, "MiB"));
            figures.add(Figure.info("the container's memory limit", limit / mib, "MiB"));
            figures.add(Figure.info("max deliveries/s, " + Format.number(subscribers) + " subscribers, "
                    + SWEEP_WINDOW + " events out",
                    sweep, "/s"));
            figures.add(Figure.info("peak resident memory during that sweep", sweepPeak / mib, "MiB"));
            figures.add(Figure.info("p50 publish to receive", Percentiles.millis(latency.getValueAtPercentile(50)), "ms"));
            figures.add(Figure.info("p99 publish to receive", Percentiles.millis(latency.getValueAtPercentile(99)), "ms"));
            List<String> notes = List.of(
                    "The relay runs with the image's JVM options (relay/jvm.options) and -XX:MaxRAM at the default"
                            + " memory limit, as the JVM sizes itself in the container; " + String.join(" ", jvm) + ".",
                    "Resident memory (VmRSS) is sampled every 100 ms from before the subscribers connect to the end"
                            + " of the paced run, and again during the sweep, whose publisher keeps " + SWEEP_WINDOW
                            + " events out at a time (S1 keeps 200, which at this heap is more than the queues' budget"
                            + " holds for 10,000 subscribers) and so runs the relay as fast as it goes.");
            String setup = String.format("%s subscribers on one stream of one relay, %d-byte events at %s events/s for"
                            + " %d s after %d s of warm-up; memory limit %s.", Format.number(subscribers),
                    BenchContext.EVENT_BYTES, Format.number(rate), measured.toSeconds(), warmUp.toSeconds(),
                    RelayDefaults.MEMORY);
            Map<String, List<double[]>> series = new LinkedHashMap<>();
            series.put("latency", Percentiles.of(latency));
            return new ScenarioResult(id(), title(), setup, figures, series, notes);
        }
    }

    /** The highest resident memory of a relay process, sampled on a thread of its own. */
    private static final class Sampler implements AutoCloseable {

        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        private final AtomicLong peak = new AtomicLong();

        Sampler(RelayProcess relay) {
            timer.scheduleAtFixedRate(() -> peak.accumulateAndGet(relay.residentBytes(), Math::max),
                    0, 100, TimeUnit.MILLISECONDS);
        }

        long peak() {
            return peak.get();
        }

        void reset() {
            peak.set(0);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
