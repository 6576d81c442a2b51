package io.sserelay.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sserelay.bench.scenario.Figure;
import io.sserelay.bench.scenario.Format;
import io.sserelay.bench.scenario.ScenarioResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a run's results: {@code results.json}, {@code results.md} and the charts. */
public final class Reports {

    private Reports() {
    }

    public static void write(Path out, Machine machine, double scale, List<ScenarioResult> results) throws IOException {
        Files.createDirectories(out);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("finished", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        json.put("machine", machine);
        json.put("scale", scale);
        json.put("scenarios", results);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), json);

        StringBuilder md = new StringBuilder()
                .append("# Benchmark results\n\n")
                .append(String.format("Machine: %s, %d cores, %,d MiB; %s; %s. Scale %s.%n%n", machine.cpu(),
                        machine.cores(), machine.memoryMiB(), machine.os(), machine.java(), Format.number(scale)))
                .append(table(results));
        for (ScenarioResult result : results) {
            md.append("\n**").append(result.id()).append("** ").append(result.setup()).append('\n');
            for (String note : result.notes()) {
                md.append("- ").append(note).append('\n');
            }
        }
        Files.writeString(out.resolve("results.md"), md);
        Charts.write(out, results);
    }

    /** The figures as a Markdown table: scenario, figure, measured, target, met. */
    public static String table(List<ScenarioResult> results) {
        StringBuilder table = new StringBuilder("| | figure | measured | target | |\n|---|---|---:|---|---|\n");
        for (ScenarioResult result : results) {
            for (Figure figure : result.figures()) {
                table.append("| ").append(result.id())
                        .append(" | ").append(figure.name())
                        .append(" | ").append(Format.number(figure.value())).append(figure.unit().isEmpty() ? "" : " ")
                        .append(figure.unit())
                        .append(" | ").append(figure.target() == null ? "" : figure.target() + " " + figure.unit())
                        .append(" | ").append(figure.met() == null ? "" : figure.met() ? "met" : "**not met**")
                        .append(" |\n");
            }
        }
        return table.toString();
    }
}
