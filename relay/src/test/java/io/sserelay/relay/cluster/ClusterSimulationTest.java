package io.sserelay.relay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stream-ownership protocol under thousands of seeded runs of {@link ClusterScenario}. A
 * failure names its seed; {@code -Dcluster.seed=N} replays that one run alone, with its log.
 */
class ClusterSimulationTest {

    private static final int SEEDS = Integer.getInteger("cluster.seeds", 2_000);

    @Test
    void everySeedKeepsTheDeliveryContract() {
        String replay = System.getProperty("cluster.seed");
        if (replay != null) {
            assertSeed(Long.parseLong(replay), true);
            return;
        }
        for (long seed = 1; seed <= SEEDS; seed++) {
            assertSeed(seed, false);
        }
    }

    private static void assertSeed(long seed, boolean printLog) {
        ClusterScenario scenario = new ClusterScenario(seed);
        List<String> problems = scenario.run();
        if (printLog || !problems.isEmpty()) {
            List<String> log = scenario.simulation().log;
            List<String> shortProblems = problems.stream().limit(5)
                    .map(problem -> problem.length() > 600 ? problem.substring(0, 600) + "..." : problem).toList();
            assertThat(problems.isEmpty())
                    .as("seed %d (replay: -Dcluster.seed=%d); %d problems, the first: %s%nwhat happened:%n%s", seed, seed,
                            problems.size(), String.join("\n", shortProblems),
                            String.join("\n", log.subList(Math.max(0, log.size() - 100), log.size())))
                    .isTrue();
        }
    }
}
