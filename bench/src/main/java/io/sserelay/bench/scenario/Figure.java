package io.sserelay.bench.scenario;

/**
 * One measured figure of a scenario, with its target when it has one.
 *
 * @param target what the figure must reach, e.g. {@code ">= 1000000"} or {@code "< 50"}; null for figures
 *               reported for context
 * @param met    whether the figure reached its target; null when it has none
 */
public record Figure(String name, double value, String unit, String target, Boolean met) {

    public static Figure info(String name, double value, String unit) {
        return new Figure(name, value, unit, null, null);
    }

    public static Figure atLeast(String name, double value, String unit, double target) {
        return new Figure(name, value, unit, ">= " + Format.number(target), value >= target);
    }

    public static Figure below(String name, double value, String unit, double target) {
        return new Figure(name, value, unit, "< " + Format.number(target), value < target);
    }

    public static Figure atMost(String name, double value, String unit, double target) {
        return new Figure(name, value, unit, "<= " + Format.number(target), value <= target);
    }

    /** A count that must be exactly zero (lost events, duplicates, failures). */
    public static Figure none(String name, long value) {
        return new Figure(name, value, "", "0", value == 0);
    }
}
