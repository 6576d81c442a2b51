package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stream-ownership protocol under thousands of seeded runs of {@link ClusterScenario}. A
 * failure names its seed; {@code -Dcluster.seed=N} replays that one run alone, with its log.
 */
class ClusterSimulationTest {

    private static final int SEEDS = Integer.getInteger("cluster.seeds", 2_000);
    /** Where the seeds start: {@code -Dcluster.firstSeed=2001 -Dcluster.seeds=8000} tries others than the suite's. */
    private static final long FIRST_SEED = Long.getLong("cluster.firstSeed", 1);

    @Test
    void everySeedKeepsTheDeliveryContract() {
        String replay = System.getProperty("cluster.seed");
        if (replay != null) {
            assertSeed(Long.parseLong(replay), true);
            return;
        }
        long forgotten = 0;
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
            forgotten += assertSeed(seed, false);
        }
        assertThat(forgotten).as("runs with retention by age make relays forget idle streams").isPositive();
    }

    /** The whole run, for a failure too long for an assertion message: target/cluster-simulation/seed-N.txt. */
    private static void writeReport(long seed, List<String> problems, List<String> log) {
        try {
            Path directory = Path.of("target", "cluster-simulation");
            Files.createDirectories(directory);
            List<String> report = new ArrayList<>(problems);
            report.add("");
            report.addAll(log);
            Files.write(directory.resolve("seed-" + seed + ".txt"), report);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs one seed; returns how many idle stream copies its relays forgot. */
    private static long assertSeed(long seed, boolean printLog) {
        ClusterScenario scenario = new ClusterScenario(seed);
        List<String> problems = scenario.run();
        if (printLog || !problems.isEmpty()) {
            List<String> log = scenario.simulation().log;
            writeReport(seed, problems, log);
            List<String> shortProblems = problems.stream().limit(5)
                    .map(problem -> problem.length() > 600 ? problem.substring(0, 600) + "..." : problem).toList();
            assertThat(problems.isEmpty())
                    .as("seed %d (replay: -Dcluster.seed=%d; the whole run: target/cluster-simulation/seed-%d.txt); %d problems,"
                            + " the first: %s%nwhat happened:%n%s", seed, seed, seed,
                            problems.size(), String.join("\n", shortProblems),
                            String.join("\n", log.subList(Math.max(0, log.size() - 100), log.size())))
                    .isTrue();
        }
        return scenario.simulation().forgotten;
    }
}
