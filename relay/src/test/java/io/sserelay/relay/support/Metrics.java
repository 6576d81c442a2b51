package io.sserelay.relay.support;

/** Reads samples from the Prometheus text exposition. */
public final class Metrics {

    private Metrics() {
    }

    /** The value of the sample whose name and labels are exactly {@code sample}. */
    public static double value(String exposition, String sample) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        throw new AssertionError("no sample '" + sample + "' in the metrics");
    }
}
