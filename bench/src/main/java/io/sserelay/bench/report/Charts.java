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
import java.util.Locale;

/**
 * The charts of a run, as PNG: latency by percentile ({@code latency.png}) for the scenarios
 * that measure latency, and deliveries per second by subscriber count ({@code throughput.png}).
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
     * Percentiles on a log scale of {@code 1 / (1 - p)}, as HdrHistogram plots them, so that the
     * tail (99%, 99.9%, 99.99%) gets as much room as the median.
     */
    private static void writeLatency(Path out, List<ScenarioResult> results) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(500).title("Publish to receive latency by percentile")
                .xAxisTitle("percentile").yAxisTitle("latency (ms)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setxAxisTickLabelsFormattingFunction(x -> {
            double percentile = 100 * (1 - 1 / x);
            return percentile <= 0 ? "0%" : String.format(Locale.ROOT, "%s%%", trim(percentile));
        });
        boolean any = false;
        for (ScenarioResult result : results) {
            List<double[]> points = result.series().get("latency");
            if (points == null || points.isEmpty()) {
                continue;
            }
            double[] x = points.stream().filter(p -> p[0] < 100).mapToDouble(p -> 1 / (1 - p[0] / 100)).toArray();
            double[] y = points.stream().filter(p -> p[0] < 100).mapToDouble(p -> p[1]).toArray();
            XYSeries series = chart.addSeries(result.id() + " " + shortTitle(result), x, y);
            series.setMarker(SeriesMarkers.NONE);
            any = true;
        }
        if (any) {
            BitmapEncoder.saveBitmap(chart, out.resolve("latency").toString(), BitmapEncoder.BitmapFormat.PNG);
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

    private static String trim(double percentile) {
        String text = String.format(Locale.ROOT, "%.4f", percentile);
        return text.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
