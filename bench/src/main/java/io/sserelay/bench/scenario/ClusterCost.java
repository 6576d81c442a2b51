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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * S9: what an event costs the cluster, in the relays' summed CPU per 1,000 delivered events and
 * the bytes they write to each other per event, with 1, 3 and 5 relays at the same total load,
 * then with 3 and 5 at the same load per relay. The shape is per-user streams (notifications, LLM
 * token streams): each stream has one subscriber, on relay {@code j mod n}, and event {@code i}
 * goes through relay {@code i mod n} to stream {@code i mod streams}, so most events are
 * published through a relay that neither numbers their stream nor has its subscriber. A relay
 * should do work for an event only if it numbers its stream, holds its replica or has a
 * subscriber of it: then the cost per event stays the same from 3 relays to 5.
 */
public final class ClusterCost implements Scenario {

    /** The same total load whatever the number of relays. */
    private static final double RATE = 4_000;
    /** The same load on each relay: the cluster's load grows with it. */
    private static final double RATE_PER_RELAY = 1_000;
    /** At the same total load, an event at 5 relays may cost at most this much more than at 3. */
    private static final double MAX_GROWTH_3_TO_5 = 1.25;
    /** At the same load per relay, likewise (issue 24: within 10 %). */
    private static final double MAX_GROWTH_3_TO_5_PER_RELAY = 1.10;
    /**
     * At the same load per relay, the peer bytes per event at 5 relays over 3 may be at most this.
     * An event crosses from the relay it was published through to its owner unless that is the
     * owner, and from the owner to the relay of its subscriber unless that is the owner: each with
     * probability (n-1)/n, 2/3 at 3 relays and 4/5 at 5. With the append to the replica, which
     * every event takes, the bytes an event carries over links grow by about 11 % from 3 to 5 and
     * can never exceed three copies of it, however many relays there are.
     */
    private static final double MAX_PEER_BYTES_GROWTH_3_TO_5 = 1.15;

    @Override
    public String id() {
        return "S9";
    }

    @Override
    public String title() {
        return "Cost per event: per-user streams on 1, 3 and 5 relays, at 4,000 events/s in all and at 1,000 per relay";
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        List<Figure> figures = new ArrayList<>();
        Map<Integer, Run> sameTotal = new LinkedHashMap<>();
        for (int relays : List.of(1, 3, 5)) {
            Run run = run(context, relays, RATE);
            sameTotal.put(relays, run);
            figures.addAll(run.figures("at 4,000 events/s in all, "));
        }
        figures.add(Figure.atMost("CPU per event at 5 relays over 3, at 4,000 events/s in all",
                sameTotal.get(5).cpuMillisPerThousand() / sameTotal.get(3).cpuMillisPerThousand(), "x",
                MAX_GROWTH_3_TO_5));
        Map<Integer, Run> perRelay = new LinkedHashMap<>();
        for (int relays : List.of(3, 5)) {
            Run run = run(context, relays, RATE_PER_RELAY * relays);
            perRelay.put(relays, run);
            figures.addAll(run.figures("at 1,000 events/s per relay, "));
        }
        figures.add(Figure.atMost("CPU per event at 5 relays over 3, at 1,000 events/s per relay",
                perRelay.get(5).cpuMillisPerThousand() / perRelay.get(3).cpuMillisPerThousand(), "x",
                MAX_GROWTH_3_TO_5_PER_RELAY));
        figures.add(Figure.atMost("peer bytes per event at 5 relays over 3, at 1,000 events/s per relay",
                perRelay.get(5).peerBytesPerEvent() / perRelay.get(3).peerBytesPerEvent(), "x",
                MAX_PEER_BYTES_GROWTH_3_TO_5));
        String setup = String.format("1, 3 and 5 relays on 127.0.0.91-95 (a cluster from 3); %d streams with one "
                        + "subscriber each, on relay j mod n; events of %d bytes, event i through relay i mod n to stream "
                        + "i mod %d, on 2 connections per relay; first %s events/s in all, then %s per relay; CPU and "
                        + "peer bytes measured over %d s after %d s of warm-up.", streams(context),
                BenchContext.EVENT_BYTES, streams(context), Format.number(RATE), Format.number(RATE_PER_RELAY),
                measured(context).toSeconds(), warmUp(context).toSeconds());
        return new ScenarioResult(id(), title(), setup, figures, Map.of(),
                List.of("CPU is each relay process's user and system time (ProcessHandle), summed, over the"
                                + " measured seconds; delivered events are those published in them, each to one"
                                + " subscriber. Peer bytes are what the relays wrote to each other"
                                + " (sserelay_peer_sent_bytes_total), framing included. The warm-up is long enough"
                                + " for the JIT compiler to have done most of its work: each of five relays sees a"
                                + " fifth of the load, and on two cores its compiler threads took over half of the"
                                + " measured CPU after a 5 s warm-up; the compiler's share while measured is shown"
                                + " beside each figure.",
                        "With one relay everything happens in one process; with three or more, an event is taken by"
                                + " one relay, numbered by its stream's owner, held by its replica and delivered by"
                                + " the relay with its subscriber: up to four relays, however many there are.",
                        "The highest sustained event rate is not measured here: every relay of a run shares the"
                                + " same two cores with the load client, so the cluster's capacity is the machine's"
                                + " whatever the number of relays. What carries over to relays on their own cores is"
                                + " the CPU an event costs, which does not grow with the relays."));
    }

    private static int streams(BenchContext context) {
        return context.count(2_000, 40);
    }

    private static Duration warmUp(BenchContext context) {
        return context.duration(Duration.ofSeconds(30), Duration.ofSeconds(1));
    }

    private static Duration measured(BenchContext context) {
        return context.duration(Duration.ofSeconds(20), Duration.ofSeconds(2));
    }

    private record Run(int relays, double cpuMillisPerThousand, double compilerPercent, double peerBytesPerEvent,
            long lost, long duplicated) {

        List<Figure> figures(String load) {
            String cluster = relays + " relay" + (relays == 1 ? "" : "s");
            List<Figure> figures = new ArrayList<>();
            figures.add(Figure.info("relays' CPU per 1,000 delivered events, " + load + cluster, cpuMillisPerThousand,
                    "ms"));
            figures.add(Figure.info("JIT compiler's share of that CPU, " + load + cluster, compilerPercent, "%"));
            if (relays > 1) {
                figures.add(Figure.info("peer bytes per delivered event, " + load + cluster, peerBytesPerEvent,
                        "bytes"));
            }
            figures.add(Figure.none("events lost, " + load + cluster, lost));
            figures.add(Figure.none("events duplicated, " + load + cluster, duplicated));
            return figures;
        }
    }

    private Run run(BenchContext context, int relayCount, double rate) throws Exception {
        int streams = streams(context);
        Duration warmUp = warmUp(context);
        Duration measured = measured(context);
        long total = Math.round(rate * (warmUp.toMillis() + measured.toMillis()) / 1000.0);
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
            long cpuAfter;
            ThreadTicks ticksBefore;
            ThreadTicks ticksAfter;
            double peerBytesBefore;
            double peerBytesAfter;
            long measuredEvents;
            try (PacedPublisher publisher = new PacedPublisher(endpoints, 2, BenchContext.PUBLISH_TOKEN,
                    seq -> stream((int) ((seq - 1) % streams)), rate, BenchContext.EVENT_BYTES, total)) {
                long warmEvents = Math.round(rate * warmUp.toMillis() / 1000.0);
                Await.until("the warm-up", warmUp.plusSeconds(60), () -> publisher.published() >= warmEvents);
                cpuBefore = cpuNanos(relays);
                ticksBefore = ThreadTicks.of(relays);
                peerBytesBefore = peerBytes(relays);
                long publishedBefore = publisher.published();
                Await.until("the paced publisher to finish", warmUp.plus(measured).plusSeconds(60),
                        publisher::finished);
                FanOutThroughput.failIfFailed(publisher.failure());
                Await.until("every subscriber to receive its stream's events", Duration.ofSeconds(60),
                        () -> group.sum(Subscription::distinct) >= total);
                cpuAfter = cpuNanos(relays);
                ticksAfter = ThreadTicks.of(relays);
                peerBytesAfter = peerBytes(relays);
                measuredEvents = publisher.published() - publishedBefore;
            }
            long received = group.sum(Subscription::distinct);
            return new Run(relayCount, (cpuAfter - cpuBefore) / 1e6 / measuredEvents * 1_000,
                    ticksAfter.compilerShareSince(ticksBefore) * 100, (peerBytesAfter - peerBytesBefore) / measuredEvents,
                    total - received, group.sum(Subscription::duplicates));
        } finally {
            relays.forEach(RelayProcess::close);
        }
    }

    /** What the relays wrote to each other so far; 0 for one relay, which has no peers. */
    private static double peerBytes(List<RelayProcess> relays) {
        double bytes = 0;
        for (RelayProcess relay : relays) {
            bytes += Math.max(0, relay.metric("sserelay_peer_sent_bytes_total"));
        }
        return bytes;
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
     * The relays' threads' CPU time so far in clock ticks ({@code /proc/PID/task/TID/stat}), by
     * thread, and which threads are the JIT compiler's: the per-process total cannot tell compiling
     * from serving.
     */
    private record ThreadTicks(Map<String, Long> ticks, Set<String> compiler) {

        static ThreadTicks of(List<RelayProcess> relays) throws IOException {
            Map<String, Long> ticks = new HashMap<>();
            Set<String> compiler = new HashSet<>();
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
                        String id = relay.pid() + "/" + thread.getFileName();
                        ticks.put(id, Long.parseLong(fields[11]) + Long.parseLong(fields[12])); // utime, stime
                        if (name.contains("CompilerThre")) {
                            compiler.add(id);
                        }
                    }
                }
            }
            return new ThreadTicks(ticks, compiler);
        }

        /**
         * The compiler threads' share of the ticks since {@code before}, between 0 and 1, thread by
         * thread: a thread that started since counts whole, one that ended in between (the JVM
         * stops idle compiler threads) is in neither sum.
         */
        double compilerShareSince(ThreadTicks before) {
            long all = 0;
            long compiling = 0;
            for (Map.Entry<String, Long> thread : ticks.entrySet()) {
                long spent = thread.getValue() - before.ticks.getOrDefault(thread.getKey(), 0L);
                all += spent;
                if (compiler.contains(thread.getKey())) {
                    compiling += spent;
                }
            }
            return all <= 0 ? 0 : (double) compiling / all;
        }
    }

    private static String stream(int index) {
        return "user-" + index;
    }
}
