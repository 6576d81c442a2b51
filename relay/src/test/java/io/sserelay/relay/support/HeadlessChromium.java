package io.sserelay.relay.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's Chromium, headless, showing one page until closed. The flags keep it from
 * reaching for the network on its own (updates, sync, field trials), which a closed
 * machine refuses noisily. Set {@code CHROMIUM} to use another binary.
 */
public final class HeadlessChromium implements AutoCloseable {

    private final Process process;
    private final Path profile;

    private HeadlessChromium(Process process, Path profile) {
        this.process = process;
        this.profile = profile;
    }

    public static HeadlessChromium open(String url) {
        String binary = System.getenv().getOrDefault("CHROMIUM", "chromium");
        if (!onPath(binary)) {
            throw new IllegalStateException("'" + binary + "' is not installed: run scripts/install-test-deps.sh"
                    + " (Debian's chromium package) or set CHROMIUM to a Chromium binary");
        }
        try {
            Path profile = Files.createTempDirectory("sse-relay-chromium");
            Process process = new ProcessBuilder(List.of(binary, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-extensions", "--disable-field-trial-config", "--user-data-dir=" + profile, url))
                    .redirectErrorStream(true)
                    .redirectOutput(profile.resolve("chromium.log").toFile())
                    .start();
            return new HeadlessChromium(process, profile);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary, e);
        }
    }

    private static boolean onPath(String binary) {
        if (binary.contains(File.separator)) {
            return Files.isExecutable(Path.of(binary));
        }
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(File.pathSeparator)).anyMatch(dir -> Files.isExecutable(Path.of(dir, binary)));
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary profile is harmless
        }
    }
}
