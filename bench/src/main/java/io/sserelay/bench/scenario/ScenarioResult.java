package io.sserelay.bench.scenario;

import java.util.List;
import java.util.Map;

/**
 * What a scenario measured.
 *
 * @param setup   how the scenario was run, in a sentence
 * @param figures the measured figures, targets first
 * @param series  data for charts, by name: latency percentiles, throughput per subscriber count
 * @param notes   what a reader needs to interpret the figures
 */
public record ScenarioResult(String id, String title, String setup, List<Figure> figures,
                             Map<String, List<double[]>> series, List<String> notes) {

    /** The result of a scenario that could not finish. */
    public static ScenarioResult failed(Scenario scenario, Throwable error) {
        return new ScenarioResult(scenario.id(), scenario.title(), "did not finish",
                List.of(Figure.none("scenario failures", 1)), Map.of(), List.of("Failed: " + error));
    }

    /** Whether every figure with a target reached it. */
    public boolean met() {
        return figures.stream().allMatch(f -> f.met() == null || f.met());
    }
}
