package io.sserelay.bench;

import io.sserelay.bench.report.Machine;
import io.sserelay.bench.report.Reports;
import io.sserelay.bench.scenario.BenchContext;
import io.sserelay.bench.scenario.ClusterCost;
import io.sserelay.bench.scenario.ClusterLatency;
import io.sserelay.bench.scenario.ContainerMemory;
import io.sserelay.bench.scenario.HistoryMemory;
import io.sserelay.bench.scenario.IdSize;
import io.sserelay.bench.scenario.IdleConnectionMemory;
import io.sserelay.bench.scenario.PeerSetUpdate;
import io.sserelay.bench.scenario.ReconnectStorm;
import io.sserelay.bench.scenario.FanOutThroughput;
import io.sserelay.bench.scenario.Scenario;
import io.sserelay.bench.scenario.ScenarioResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs the benchmark scenarios and writes their results (JSON, a Markdown table, PNG charts).
 *
 * <pre>
 * BenchMain [--out DIR] [--scale F] [--relay-jar JAR] [S1 S2 ...]
 * </pre>
 */
public final class BenchMain {

    private static final String USAGE = "usage: BenchMain [--out DIR] [--scale 0.01..1] [--relay-jar JAR] [S1 .. S9]";

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        System.setProperty("org.jboss.logging.provider", "slf4j");
        Path out = Path.of("bench", "results");
        Path relayJar = Path.of("relay", "target", "sse-relay.jar");
        double scale = 1.0;
        List<String> wanted = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(value(args, ++i));
                case "--relay-jar" -> relayJar = Path.of(value(args, ++i));
                case "--scale" -> scale = scale(value(args, ++i));
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> wanted.add(args[i].toUpperCase(Locale.ROOT));
            }
        }
        if (!Files.isRegularFile(relayJar)) {
            exit("no relay jar at " + relayJar + "; build it with ./mvnw -pl relay -am package -DskipTests");
        }
        // Relays and servers run as child processes; an interrupted run must not leave them listening.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants()
                .forEach(ProcessHandle::destroy), "stop-children"));
        Map<String, Scenario> all = scenarios();
        for (String id : wanted) {
            if (!all.containsKey(id)) {
                exit("unknown scenario '" + id + "'; the scenarios are " + String.join(", ", all.keySet()) + "\n" + USAGE);
            }
        }
        List<Scenario> toRun = wanted.isEmpty() ? List.copyOf(all.values()) : wanted.stream().map(all::get).toList();
        System.exit(run(toRun, new BenchContext(scale, relayJar, out.resolve("logs")), out) ? 0 : 1);
    }

    /** Runs the scenarios in turn and rewrites the reports after each; true when all ran and met their targets. */
    public static boolean run(List<Scenario> scenarios, BenchContext context, Path out) throws Exception {
        Files.createDirectories(out);
        Machine machine = Machine.describe();
        List<ScenarioResult> results = new ArrayList<>();
        boolean allMet = true;
        for (Scenario scenario : scenarios) {
            System.out.printf("%s %s ...%n", scenario.id(), scenario.title());
            long start = System.nanoTime();
            ScenarioResult result;
            try {
                result = scenario.run(context);
            } catch (Exception | Error e) {
                e.printStackTrace();
                result = ScenarioResult.failed(scenario, e);
            }
            results.add(result);
            allMet &= result.met();
            System.out.printf("%s done in %.0f s: %s%n%s%n", scenario.id(), (System.nanoTime() - start) / 1e9,
                    result.met() ? "targets met" : "TARGETS NOT MET", Reports.table(List.of(result)));
            Reports.write(out, machine, context.scale(), results);
        }
        System.out.println("Results in " + out.toAbsolutePath());
        return allMet;
    }

    private static Map<String, Scenario> scenarios() {
        Map<String, Scenario> all = new LinkedHashMap<>();
        for (Scenario s : List.of(new FanOutThroughput(), new ClusterLatency(), new IdleConnectionMemory(),
                new ReconnectStorm(), new PeerSetUpdate(Path.of("crds", "sserelays.sserelay.io-v1.yml")),
                new HistoryMemory(), new IdSize(), new ContainerMemory(Path.of("relay", "jvm.options")), new ClusterCost())) {
            all.put(s.id(), s);
        }
        return all;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            exit(args[i - 1] + " needs a value\n" + USAGE);
        }
        return args[i];
    }

    private static double scale(String text) {
        try {
            double scale = Double.parseDouble(text);
            if (scale >= 0.01 && scale <= 1) {
                return scale;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        exit("--scale must be a number from 0.01 to 1, not '" + text + "'");
        return 1;
    }

    private static void exit(String message) {
        System.err.println(message);
        System.exit(2);
    }
}
