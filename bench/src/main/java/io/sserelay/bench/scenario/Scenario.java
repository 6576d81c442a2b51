package io.sserelay.bench.scenario;

/** One benchmark scenario: sets up what it needs, measures, and cleans up after itself. */
public interface Scenario {

    /** The scenario's short name, e.g. {@code S1}. */
    String id();

    String title();

    ScenarioResult run(BenchContext context) throws Exception;
}
