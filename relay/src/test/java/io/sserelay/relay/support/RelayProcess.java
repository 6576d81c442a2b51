package io.sserelay.relay.support;

import io.sserelay.relay.RelayMain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * A relay in its own JVM, started the way a container starts it ({@link RelayMain} with
 * {@code RELAY_*} variables), so tests can send it a real SIGTERM or restart it.
 */
public final class RelayProcess implements AutoCloseable {

    private static final Pattern UP = Pattern.compile("is up at http://127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("metrics: +curl http://127\\.0\\.0\\.1:(\\d+)/metrics");

    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile int port;
    private volatile int adminPort;

    private RelayProcess(Process process) {
        this.process = process;
        this.reader = new Thread(this::readOutput, "relay-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    public static RelayProcess start(Map<String, String> env) {
        return start(env, "256m");
    }

    /** A relay with {@code maxHeap} ({@code -Xmx}), G1 with the pause goal the relay image sets, and exit on OutOfMemoryError. */
    public static RelayProcess start(Map<String, String> env, String maxHeap) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError",
                "-XX:MaxGCPauseMillis=20", "-cp", System.getProperty("java.class.path"), RelayMain.class.getName())
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("RELAY_"));
        Map<String, String> all = new HashMap<>();
        all.put("RELAY_BIND_ADDRESS", "127.0.0.1");
        all.put("RELAY_HTTP_PORT", "0");
        all.put("RELAY_ADMIN_PORT", "0");
        all.put("RELAY_PUBLISH_TOKEN", TestRelay.TOKEN);
        all.putAll(env);
        all.values().removeIf(value -> value == null); // a null value unsets a default
        builder.environment().putAll(all);
        try {
            RelayProcess relay = new RelayProcess(builder.start());
            await().atMost(Duration.ofSeconds(30)).until(() -> relay.adminPort != 0 || !relay.process.isAlive());
            if (relay.adminPort == 0) {
                throw new IllegalStateException("relay process exited during start:\n" + relay.output());
            }
            return relay;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a relay process", e);
        }
    }

    public int port() {
        return port;
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** A URL on the admin port, where {@code /metrics} is. */
    public String adminUrl(String path) {
        return "http://127.0.0.1:" + adminPort + path;
    }

    /**
     * Sends SIGTERM, as the kubelet does when a pod is deleted. Through the process handle:
     * {@code Process.destroy()} would also close our ends of the child's output pipes, and
     * what the relay prints while it shuts down would be lost.
     */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** Waits for the process to exit and its output to be read, and returns its exit status. */
    public int awaitExit() {
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("relay process did not exit within 30 s:\n" + output());
            }
            reader.join(TimeUnit.SECONDS.toMillis(10));
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The relay's process id, for {@code jcmd}. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() {
        return String.join("\n", output);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void readOutput() {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                output.add(line);
                Matcher up = UP.matcher(line);
                if (port == 0 && up.find()) {
                    port = Integer.parseInt(up.group(1));
                }
                Matcher admin = ADMIN.matcher(line);
                if (adminPort == 0 && admin.find()) {
                    adminPort = Integer.parseInt(admin.group(1));
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }
}
