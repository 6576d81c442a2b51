package io.sserelay.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The machine a run was made on, as the reports print it.
 *
 * @param cpu        the processor model, from {@code /proc/cpuinfo}
 * @param cores      processors available to the JVM
 * @param memoryMiB  total memory, from {@code /proc/meminfo}
 */
public record Machine(String cpu, int cores, long memoryMiB, String os, String java) {

    public static Machine describe() {
        String cpu = read("/proc/cpuinfo").flatMap(text -> text.lines()
                .filter(line -> line.startsWith("model name")).findFirst()
                .map(line -> line.substring(line.indexOf(':') + 1).trim())).orElse("unknown");
        long memory = read("/proc/meminfo").flatMap(text -> text.lines()
                .filter(line -> line.startsWith("MemTotal:")).findFirst()
                .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024)).orElse(0L);
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version");
        String java = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        return new Machine(cpu, Runtime.getRuntime().availableProcessors(), memory, os, java);
    }

    private static Optional<String> read(String file) {
        try {
            return Optional.of(Files.readString(Path.of(file)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
