package io.sserelay.bench;

import io.sserelay.bench.report.Machine;
import io.sserelay.bench.scenario.BenchContext;
import io.sserelay.bench.scenario.ClusterCost;
import io.sserelay.bench.scenario.ClusterLatency;
import io.sserelay.bench.scenario.ContainerMemory;
import io.sserelay.bench.scenario.FanOutThroughput;
import io.sserelay.bench.scenario.Figure;
import io.sserelay.bench.scenario.HistoryMemory;
import io.sserelay.bench.scenario.IdSize;
import io.sserelay.bench.scenario.IdleConnectionMemory;
import io.sserelay.bench.scenario.PeerSetUpdate;
import io.sserelay.bench.scenario.ReconnectStorm;
import io.sserelay.bench.scenario.Scenario;
import io.sserelay.bench.scenario.ScenarioResult;
import io.sserelay.bench.report.Reports;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs every benchmark scenario at a small scale against real relays (and, for S5, the local
 * control plane), so that the harness cannot rot between benchmark runs. It pins what the
 * scenarios check, not how fast anything is: no event lost or duplicated, nobody disconnected,
 * every figure measured, the reports written.
 */
class BenchSmokeTest {

    private static final Path REPOSITORY = Path.of("..");

    @Test
    void everyScenarioRunsAtSmallScaleAndFindsNoDeliveryFaults() throws Exception {
        Path out = Path.of("target", "bench-smoke");
        BenchContext context = new BenchContext(0.02, REPOSITORY.resolve("relay/target/sse-relay.jar"),
                out.resolve("logs"));
        List<Scenario> scenarios = List.of(new FanOutThroughput(), new ClusterLatency(), new IdleConnectionMemory(),
                new ReconnectStorm(), new PeerSetUpdate(REPOSITORY.resolve("crds/sserelays.sserelay.io-v1.yml")),
                new HistoryMemory(), new IdSize(), new ContainerMemory(REPOSITORY.resolve("relay/jvm.options")), new ClusterCost());
        List<ScenarioResult> results = new ArrayList<>();
        for (Scenario scenario : scenarios) {
            ScenarioResult result = scenario.run(context);
            results.add(result);
            assertThat(result.id()).isEqualTo(scenario.id());
            assertThat(result.figures()).as(scenario.id() + " figures").isNotEmpty()
                    .allSatisfy(f -> assertThat(f.value()).as(f.name()).isFinite());
            // Faults are figures whose target is zero; they must be zero at any scale.
            assertThat(result.figures()).filteredOn(f -> "0".equals(f.target()))
                    .as(scenario.id() + " faults").isNotEmpty().allSatisfy(f -> assertThat(f.value()).as(f.name()).isZero());
        }
        assertThat(results.get(0).series().get("throughput")).hasSize(4);
        assertThat(results.get(0).series().get("latency")).isNotEmpty();
        assertThat(results.get(1).series().get("latency")).isNotEmpty();
        assertThat(results.get(3).figures()).filteredOn(f -> f.name().startsWith("events each subscriber missed"))
                .extracting(Figure::value).allSatisfy(missed -> assertThat(missed).isPositive());

        Reports.write(out, Machine.describe(), context.scale(), results);
        for (String file : List.of("results.json", "results.md", "latency-S1.png", "latency-S2.png",
                "throughput.png")) {
            assertThat(out.resolve(file)).isNotEmptyFile();
        }
        assertThat(Files.readString(out.resolve("results.md"))).contains("| S1 |", "| S5 |", "| S6 |", "| S7 |", "| S8 |", "| S9 |");
    }
}
