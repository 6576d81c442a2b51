package io.sserelay.bench.report;

import io.sserelay.bench.scenario.ScenarioResult;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The charts of a run, as PNG: latency by percentile ({@code latency-S1.png}, ...) for each
 * scenario that measures latency, and deliveries per second by subscriber count
 * ({@code throughput.png}).
 */
final class Charts {

    private Charts() {
    }

    static void write(Path out, List<ScenarioResult> results) throws IOException {
        System.setProperty("java.awt.headless", "true");
        writeLatency(out, results);
        writeThroughput(out, results);
    }

    /**
     * Percentiles spread by their "nines", {@code log10(1 / (1 - p))}: 1 is 90 %, 2 is 99 %, 3 is
     * 99.9 %, as HdrHistogram plots them, so that the tail gets as much room as the median.
     */
    private static void writeLatency(Path out, List<ScenarioResult> results) throws IOException {
        for (ScenarioResult result : results) {
            List<double[]> points = result.series().get("latency");
            if (points == null || points.isEmpty()) {
                continue;
            }
            XYChart chart = new XYChartBuilder().width(900).height(500)
                    .title(result.id() + ": publish to receive latency by percentile")
                    .xAxisTitle("percentile, in nines: 1 = 90 %, 2 = 99 %, 3 = 99.9 %, 4 = 99.99 %")
                    .yAxisTitle("latency (ms)").build();
            chart.getStyler().setXAxisMin(0.0);
            chart.getStyler().setLegendVisible(false);
            double[] x = points.stream().filter(p -> p[0] < 100).mapToDouble(p -> Math.log10(1 / (1 - p[0] / 100)))
                    .toArray();
            double[] y = points.stream().filter(p -> p[0] < 100).mapToDouble(p -> p[1]).toArray();
            XYSeries series = chart.addSeries(result.id(), x, y);
            series.setMarker(SeriesMarkers.NONE);
            BitmapEncoder.saveBitmap(chart, out.resolve("latency-" + result.id()).toString(),
                    BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static void writeThroughput(Path out, List<ScenarioResult> results) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(500).title("Fan-out throughput by subscriber count")
                .xAxisTitle("subscribers on one stream").yAxisTitle("deliveries per second").build();
        boolean any = false;
        for (ScenarioResult result : results) {
            List<double[]> points = result.series().get("throughput");
            if (points == null || points.isEmpty()) {
                continue;
            }
            chart.addSeries(result.id() + " " + shortTitle(result), points.stream().mapToDouble(p -> p[0]).toArray(),
                    points.stream().mapToDouble(p -> p[1]).toArray());
            any = true;
        }
        if (any) {
            chart.getStyler().setYAxisMin(0.0);
            BitmapEncoder.saveBitmap(chart, out.resolve("throughput").toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static String shortTitle(ScenarioResult result) {
        int colon = result.title().indexOf(':');
        return colon < 0 ? result.title() : result.title().substring(0, colon);
    }
}
