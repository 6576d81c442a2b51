package io.sserelay.bench.scenario;

import io.sserelay.bench.Await;
import io.sserelay.bench.client.PacedPublisher;
import io.sserelay.bench.client.SseLoadClient;
import io.sserelay.bench.client.Subscription;
import io.sserelay.bench.relay.RelayProcess;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S9: what an event costs the cluster, in the relays' summed CPU per 1,000 delivered events, with
 * 1, 3 and 5 relays at the same total load. The shape is per-user streams (notifications, LLM
 * token streams): each stream has one subscriber, on relay {@code j mod n}, and event {@code i}
 * goes through relay {@code i mod n} to stream {@code i mod streams}, so most events are
 * published through a relay that neither numbers their stream nor has its subscriber. A relay
 * should do work for an event only if it numbers its stream, holds its replica or has a
 * subscriber of it: then the cost per event stays the same from 3 relays to 5.
 */
public final class ClusterCost implements Scenario {

    private static final double RATE = 4_000;
    /** At 5 relays an event may cost at most this much more than at 3. */
    private static final double MAX_GROWTH_3_TO_5 = 1.25;

    @Override
    public String id() {
        return "S9";
    }

    @Override
    public String title() {
        return "Cost per event: 1, 3 and 5 relays, per-user streams, 4,000 events/s in all";
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        List<Figure> figures = new ArrayList<>();
        Map<Integer, Double> cost = new LinkedHashMap<>();
        String setup = null;
        for (int relays : List.of(1, 3, 5)) {
            Run run = run(context, relays);
            cost.put(relays, run.cpuMillisPerThousand());
            figures.add(Figure.info("relays' CPU per 1,000 delivered events, " + relays + " relay"
                    + (relays == 1 ? "" : "s"), run.cpuMillisPerThousand(), "ms"));
            figures.add(Figure.info("JIT compiler's share of that CPU, " + relays + " relay"
                    + (relays == 1 ? "" : "s"), run.compilerPercent(), "%"));
            figures.add(Figure.none("events lost, " + relays + " relays", run.lost()));
            figures.add(Figure.none("events duplicated, " + relays + " relays", run.duplicated()));
            setup = run.setup();
        }
        figures.add(Figure.atMost("CPU per event at 5 relays over 3", cost.get(5) / cost.get(3), "x",
                MAX_GROWTH_3_TO_5));
        return new ScenarioResult(id(), title(), setup, figures, Map.of(),
                List.of("CPU is each relay process's user and system time (ProcessHandle), summed, over the"
                                + " measured seconds; delivered events are those published in them, each to one"
                                + " subscriber. The warm-up is long enough for the JIT compiler to have done"
                                + " most of its work: each of five relays sees a fifth of the load, and on two cores"
                                + " its compiler threads took over half of the measured CPU after a 5 s warm-up; the"
                                + " compiler's share while measured is shown beside each figure.",
                        "With one relay everything happens in one process; with three or more, an event is taken by"
                                + " one relay, numbered by its stream's owner, held by its replica and delivered by"
                                + " the relay with its subscriber: up to four relays, however many there are."));
    }

    private record Run(double cpuMillisPerThousand, double compilerPercent, long lost, long duplicated,
            String setup) {
    }

    private Run run(BenchContext context, int relayCount) throws Exception {
        int streams = context.count(2_000, 40);
        Duration warmUp = context.duration(Duration.ofSeconds(30), Duration.ofSeconds(1));
        Duration measured = context.duration(Duration.ofSeconds(20), Duration.ofSeconds(2));
        long total = Math.round(RATE * (warmUp.toMillis() + measured.toMillis()) / 1000.0);
        List<String> addresses = new ArrayList<>();
        for (int r = 1; r <= relayCount; r++) {
            addresses.add("127.0.0.9" + r);
        }
        Map<String, String> env = relayCount == 1 ? Map.of() : Map.of("RELAY_PEERS",
                String.join(",", addresses.stream().map(a -> a + ":7070").toList()),
                "RELAY_PEER_TOKEN", BenchContext.PEER_TOKEN);
        List<RelayProcess> relays = context.startCluster("s9-" + relayCount + "-relay-", addresses, env);
        try (SseLoadClient client = context.loadClient(2)) {
            List<InetSocketAddress> endpoints = relays.stream().map(RelayProcess::address).toList();
            SubscriberGroup group = SubscriberGroup.open(client, streams, j -> endpoints.get(j % relayCount),
                    j -> "/streams/" + stream(j), j -> null).awaitOpen(Duration.ofSeconds(60));
            long cpuBefore;
            long measuredEvents;
            long cpuAfter;
            ThreadTicks compilerBefore;
            ThreadTicks compilerAfter;
            try (PacedPublisher publisher = new PacedPublisher(endpoints, 2, BenchContext.PUBLISH_TOKEN,
                    seq -> stream((int) ((seq - 1) % streams)), RATE, BenchContext.EVENT_BYTES, total)) {
                long warmEvents = Math.round(RATE * warmUp.toMillis() / 1000.0);
                Await.until("the warm-up", warmUp.plusSeconds(60), () -> publisher.published() >= warmEvents);
                cpuBefore = cpuNanos(relays);
                compilerBefore = ThreadTicks.of(relays);
                long publishedBefore = publisher.published();
                Await.until("the paced publisher to finish", warmUp.plus(measured).plusSeconds(60),
                        publisher::finished);
                FanOutThroughput.failIfFailed(publisher.failure());
                Await.until("every subscriber to receive its stream's events", Duration.ofSeconds(60),
                        () -> group.sum(Subscription::distinct) >= total);
                cpuAfter = cpuNanos(relays);
                compilerAfter = ThreadTicks.of(relays);
                measuredEvents = publisher.published() - publishedBefore;
            }
            long received = group.sum(Subscription::distinct);
            double perThousand = (cpuAfter - cpuBefore) / 1e6 / measuredEvents * 1_000;
            String setup = String.format("1, 3 and 5 relays on 127.0.0.91-95 (a cluster from 3); %d streams with one "
                            + "subscriber each, on relay j mod n; %s events/s of %d bytes in all, event i through relay "
                            + "i mod n to stream i mod %d, on 2 connections per relay; CPU measured over %d s after %d s "
                            + "of warm-up.", streams, Format.number(RATE), BenchContext.EVENT_BYTES, streams,
                    measured.toSeconds(), warmUp.toSeconds());
            return new Run(perThousand, compilerAfter.compilerShareSince(compilerBefore) * 100, total - received, group.sum(Subscription::duplicates), setup);
        } finally {
            relays.forEach(RelayProcess::close);
        }
    }

    /** The relays' CPU time so far, user and system, summed. */
    private static long cpuNanos(List<RelayProcess> relays) {
        long nanos = 0;
        for (RelayProcess relay : relays) {
            nanos += ProcessHandle.of(relay.pid()).flatMap(handle -> handle.info().totalCpuDuration())
                    .orElseThrow(() -> new IllegalStateException("no CPU time for " + relay.address()))
                    .toNanos();
        }
        return nanos;
    }

    /**
     * The relays' threads' CPU time so far in clock ticks ({@code /proc/PID/task/TID/stat}), all
     * threads and the JIT compiler's: the per-process total cannot tell compiling from serving.
     */
    private record ThreadTicks(long all, long compiler) {

        static ThreadTicks of(List<RelayProcess> relays) throws IOException {
            long all = 0;
            long compiler = 0;
            for (RelayProcess relay : relays) {
                Path tasks = Path.of("/proc", Long.toString(relay.pid()), "task");
                try (var threads = Files.list(tasks)) {
                    for (Path thread : threads.toList()) {
                        String stat;
                        try {
                            stat = Files.readString(thread.resolve("stat"));
                        } catch (NoSuchFileException ended) {
                            continue;
                        }
                        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                        all += ticks;
                        if (name.contains("CompilerThre")) {
                            compiler += ticks;
                        }
                    }
                }
            }
            return new ThreadTicks(all, compiler);
        }

        /** The compiler's share of the ticks since {@code before}, between 0 and 1. */
        double compilerShareSince(ThreadTicks before) {
            long spent = all - before.all;
            // a compiler thread that ended in between takes its ticks along: never below 0
            return spent <= 0 ? 0 : Math.max(0, (double) (compiler - before.compiler) / spent);
        }
    }

    private static String stream(int index) {
        return "user-" + index;
    }
}
