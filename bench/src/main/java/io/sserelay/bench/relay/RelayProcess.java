package io.sserelay.bench.relay;

import io.sserelay.bench.Await;
import io.sserelay.e2e.RelayHttp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A relay under test in its own JVM, started from the relay's runnable jar exactly as the
 * container image runs it, with its configuration in {@code RELAY_*} variables.
 */
public final class RelayProcess implements AutoCloseable {

    /**
     * The relay's JVM options: the heap a 1 GiB pod gets from the image's
     * {@code -XX:MaxRAMPercentage=75} (committed up front, so that resident memory grows only
     * with what the relay uses), and the image's collector settings.
     */
    public static final List<String> JVM_OPTIONS = List.of("-Xms768m", "-Xmx768m", "-XX:MaxGCPauseMillis=20");

    /** Where each benchmarked relay serves its metrics, on its own address. */
    static final int ADMIN_PORT = 9090;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /**
     * How long a benchmark's request to a relay waits for its answer: a relay that stops
     * answering fails the run instead of stalling it.
     */
    public static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern VM_RSS = Pattern.compile("VmRSS:\\s+(\\d+) kB");

    private final String name;
    private final Process process;
    /** Where its output goes. */
    private Path log;
    private final InetSocketAddress address;

    private RelayProcess(String name, Process process, InetSocketAddress address) {
        this.name = name;
        this.process = process;
        this.address = address;
    }

    /** Starts a relay with {@link #JVM_OPTIONS} and waits until it is ready. */
    public static RelayProcess start(String name, Path jar, String bindAddress, int port, Map<String, String> env,
                                     Path logDirectory) {
        return start(name, jar, bindAddress, port, env, logDirectory, JVM_OPTIONS);
    }

    /** Starts a relay with the given JVM options and waits until it is ready. */
    public static RelayProcess start(String name, Path jar, String bindAddress, int port, Map<String, String> env,
                                     Path logDirectory, List<String> jvmOptions) {
        RelayProcess relay = launch(name, jar, bindAddress, port, env, logDirectory, jvmOptions);
        relay.awaitReady();
        return relay;
    }

    /**
     * Starts a relay with the given JVM options without waiting for it: the relays of a cluster are
     * started together, since each is ready only once every other member has handed over to it.
     */
    public static RelayProcess launch(String name, Path jar, String bindAddress, int port, Map<String, String> env,
                                      Path logDirectory, List<String> jvmOptions) {
        for (int taken : new int[] {port, ADMIN_PORT}) {
            if (listening(new InetSocketAddress(bindAddress, taken))) {
                throw new IllegalStateException("something already listens on " + bindAddress + ":" + taken
                        + "; is an earlier benchmark still running?");
            }
        }
        try {
            Files.createDirectories(logDirectory);
            Path log = logDirectory.resolve(name + ".log");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            command.add("-XX:+ExitOnOutOfMemoryError");
            command.add("-Xlog:gc:file=" + logDirectory.resolve(name + "-gc.log"));
            command.add("-jar");
            command.add(jar.toString());
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().keySet().removeIf(key -> key.startsWith("RELAY_"));
            builder.environment().put("RELAY_BIND_ADDRESS", bindAddress);
            builder.environment().put("RELAY_HTTP_PORT", Integer.toString(port));
            builder.environment().put("RELAY_ADMIN_PORT", Integer.toString(ADMIN_PORT));
            builder.environment().putAll(env);
            RelayProcess relay = new RelayProcess(name, builder.start(), new InetSocketAddress(bindAddress, port));
            relay.log = log;
            return relay;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /** Waits until the relay is ready; stops it and throws if it is not within a minute or exits. */
    public void awaitReady() {
        try {
            Await.until(name + " to be ready (log: " + log + ")", Duration.ofSeconds(60), () -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
                }
                return ready();
            });
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static boolean listening(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public InetSocketAddress address() {
        return address;
    }

    public String url() {
        return "http://" + address.getHostString() + ":" + address.getPort();
    }

    /** The base URL of the relay's admin port, where its metrics are. */
    public String adminUrl() {
        return "http://" + address.getHostString() + ":" + ADMIN_PORT;
    }

    public long pid() {
        return process.pid();
    }

    public boolean ready() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/readyz")).timeout(ANSWER_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The relay's Prometheus exposition. */
    public String metrics() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(adminUrl() + "/metrics")).timeout(ANSWER_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the metrics of " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** One sample of the relay's metrics, e.g. {@code sserelay_connections}; -1 when there is none. */
    public double metric(String sample) {
        return RelayHttp.sample(metrics(), sample);
    }

    /** The process's resident memory now, in bytes, from the kernel's accounting. */
    public long residentBytes() {
        try {
            Matcher m = VM_RSS.matcher(Files.readString(Path.of("/proc", Long.toString(pid()), "status")));
            if (!m.find()) {
                throw new IllegalStateException("no VmRSS for " + name);
            }
            return Long.parseLong(m.group(1)) * 1024;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the memory of " + name, e);
        }
    }

    /** Runs a full garbage collection in the relay (with {@code jcmd}), so that memory figures count live data. */
    public void collectGarbage() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
                throw new IllegalStateException("jcmd GC.run failed for " + name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run jcmd", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * For a request the relay never answered: its thread stacks ({@code jcmd Thread.print}) and the
     * TCP sockets of its port with the bytes queued on each ({@code ss}), so that a rare hang can
     * be told apart from a slow machine after the fact.
     */
    public String hangReport() {
        int port = address.getPort();
        return "\n--- threads of " + name + " ---\n"
                + output(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(pid()), "Thread.print"))
                + "--- TCP sockets of port " + port + " (ss -tnoi) ---\n"
                + output(List.of("ss", "-tanoi", "( sport = :" + port + " or dport = :" + port + " )"));
    }

    private static String output(List<String> command) {
        try {
            Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(run.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return run.waitFor(30, TimeUnit.SECONDS) ? out : command.get(0) + " did not finish\n";
        } catch (IOException e) {
            return command.get(0) + " could not run: " + e.getMessage() + "\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted\n";
        }
    }

    @Override
    public void close() {
        process.toHandle().destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
