package io.sserelay.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs command lines as a person would after pasting them into a terminal: each line in
 * {@code bash -c}, preceded by the session's setup lines (the {@code export}s the demo prints),
 * in the repository's directory. For checking that printed commands work exactly as printed.
 *
 * <p>Threads: {@link #run} waits on the caller's thread; a {@link Background} command has a
 * thread reading its output.
 */
final class ShellSession {

    private final Path directory;
    private final List<String> setup;

    ShellSession(Path directory, List<String> setup) {
        this.directory = directory;
        this.setup = List.copyOf(setup);
    }

    /**
     * Runs {@code line} to its end and returns what it printed on standard output; fails with
     * its output when it exits with an error or runs over {@code atMost}.
     */
    String run(String line, Duration atMost) {
        Process process = start(line, ProcessBuilder.Redirect.PIPE);
        CompletableFuture<String> stdout = readAll(process, false);
        CompletableFuture<String> stderr = readAll(process, true);
        try {
            if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
                stop(process);
                throw new IllegalStateException("'" + line + "' ran over " + atMost.toSeconds() + " s");
            }
            String out = stdout.get(10, TimeUnit.SECONDS);
            if (process.exitValue() != 0) {
                throw new IllegalStateException("'" + line + "' exited with " + process.exitValue() + ":\n" + out
                        + stderr.get(10, TimeUnit.SECONDS));
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(process);
            throw new IllegalStateException("interrupted while running '" + line + "'", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not read the output of '" + line + "'", e);
        }
    }

    /**
     * Starts {@code line} and keeps it running, collecting its standard output line by line and
     * the end of its standard error (where curl writes its progress meter and its errors).
     */
    Background start(String line, String name) {
        return new Background(line, start(line, ProcessBuilder.Redirect.PIPE), name);
    }

    private Process start(String line, ProcessBuilder.Redirect errors) {
        List<String> command = List.of("bash", "-c", String.join("\n", setup) + "\n" + line);
        try {
            return new ProcessBuilder(command).directory(directory.toFile()).redirectError(errors)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run bash for '" + line + "'", e);
        }
    }

    private static CompletableFuture<String> readAll(Process process, boolean errors) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String((errors ? process.getErrorStream() : process.getInputStream()).readAllBytes(),
                        StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Ends {@code process} and everything it started. */
    private static void stop(Process process) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A command left running, such as {@code curl -N}; closing it ends it and what it started. */
    static final class Background implements AutoCloseable {

        private static final int ERROR_TAIL_CHARS = 2_000;

        private final String line;
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final StringBuilder errors = new StringBuilder();

        private Background(String line, Process process, String name) {
            this.line = line;
            this.process = process;
            daemon(name, () -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String read;
                    while ((read = in.readLine()) != null) {
                        lines.add(read);
                    }
                }
            });
            daemon(name + "-errors", () -> {
                try (InputStreamReader in = new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)) {
                    char[] buffer = new char[1024];
                    int read;
                    while ((read = in.read(buffer)) >= 0) {
                        synchronized (errors) {
                            errors.append(buffer, 0, read);
                            errors.delete(0, Math.max(0, errors.length() - ERROR_TAIL_CHARS));
                        }
                    }
                }
            });
        }

        private static void daemon(String name, IoAction action) {
            Thread thread = new Thread(() -> {
                try {
                    action.run();
                } catch (IOException ignored) {
                    // the command ended
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        private interface IoAction {
            void run() throws IOException;
        }

        /** The lines it printed on standard output so far. */
        List<String> lines() {
            return new ArrayList<>(lines);
        }

        /** Fails, with its exit status and the end of its standard error, when the command has ended. */
        void requireRunning() {
            if (!process.isAlive()) {
                String tail;
                synchronized (errors) {
                    tail = errors.toString().strip();
                }
                throw new IllegalStateException("'" + line + "' ended with status " + process.exitValue()
                        + (tail.isEmpty() ? "" : ": " + tail.substring(tail.lastIndexOf('\r') + 1)));
            }
        }

        @Override
        public void close() {
            stop(process);
        }
    }
}
