package io.sserelay.testplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One control-plane binary running as a child process, its output in a log file. Stopping sends
 * SIGTERM so the component shuts down as it would in a cluster, and SIGKILL only if it has not
 * exited within a bound.
 *
 * <p>A child outlives a JVM that exits without stopping it, so processes still running when the
 * JVM shuts down (a test that never closed its plane, a test run cut short) are killed then.
 */
final class PlaneProcess {

    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(
                () -> RUNNING.forEach(Process::destroyForcibly), "testplane-process-reaper"));
    }

    private static final long GRACEFUL_STOP_SECONDS = 20;
    private static final long FORCED_STOP_SECONDS = 10;
    private static final int LOG_LINES_IN_ERRORS = 30;

    private final String name;
    private final Process process;
    private final Path log;

    private PlaneProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static PlaneProcess start(Path binary, List<String> arguments, Map<String, String> environment, Path log) {
        var command = new ArrayList<String>();
        command.add(binary.toString());
        command.addAll(arguments);
        var builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            RUNNING.add(process);
            process.onExit().thenRun(() -> RUNNING.remove(process));
            return new PlaneProcess(binary.getFileName().toString(), process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + binary, e);
        }
    }

    String name() {
        return name;
    }

    ProcessHandle handle() {
        return process.toHandle();
    }

    Path log() {
        return log;
    }

    /**
     * Waits until {@code ready} holds, polling; fails at once, with the end of the log, when the
     * process exits, and after {@code atMost} when it never gets ready.
     */
    void awaitReady(String what, Duration atMost, BooleanSupplier ready) {
        try {
            Awaitility.await(name + " " + what)
                    .atMost(atMost)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        requireRunning();
                        return ready.getAsBoolean();
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(name + " not " + what + " within " + atMost + "; the end of " + log
                    + ":\n" + tailOfLog(), e);
        }
    }

    private void requireRunning() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with status " + process.exitValue() + "; the end of "
                    + log + ":\n" + tailOfLog());
        }
    }

    void stop() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (awaitExit(GRACEFUL_STOP_SECONDS)) {
            return;
        }
        process.destroyForcibly();
        if (!awaitExit(FORCED_STOP_SECONDS)) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") survived SIGKILL for "
                    + FORCED_STOP_SECONDS + "s");
        }
    }

    private boolean awaitExit(long seconds) {
        try {
            process.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for " + name + " to exit failed", e.getCause());
        }
    }

    private String tailOfLog() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_LINES_IN_ERRORS), lines.size()));
        } catch (IOException e) {
            return "(could not read " + log + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ", log " + log + ")";
    }
}
