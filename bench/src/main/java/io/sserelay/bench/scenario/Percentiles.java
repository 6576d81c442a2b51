package io.sserelay.bench.scenario;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import java.util.ArrayList;
import java.util.List;

/** A latency histogram (microseconds) as chart points: {percentile, milliseconds}. */
final class Percentiles {

    private Percentiles() {
    }

    /** Microseconds, the histograms' unit, as milliseconds. */
    static double millis(long micros) {
        return micros / 1000.0;
    }

    static List<double[]> of(Histogram micros) {
        List<double[]> points = new ArrayList<>();
        if (micros.getTotalCount() == 0) {
            return points;
        }
        for (HistogramIterationValue value : micros.percentiles(5)) {
            double percentile = value.getPercentileLevelIteratedTo();
            if (percentile >= 100) {
                break;
            }
            points.add(new double[] {percentile, value.getValueIteratedTo() / 1000.0});
        }
        points.add(new double[] {100, micros.getMaxValue() / 1000.0});
        return points;
    }
}
