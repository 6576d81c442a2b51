package io.sserelay.relay.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a test prints when a relay in its JVM stops answering: the stacks of the relay's IO and
 * worker threads and of the HTTP client's, and the loopback TCP sockets with the bytes queued on
 * each ({@code ss}), so that a rare hang can be told apart from a slow machine after the fact.
 */
public final class HangReport {

    private HangReport() {
    }

    public static String describe() {
        StringBuilder report = new StringBuilder("\n--- threads of the relay and the client ---\n");
        for (Map.Entry<Thread, StackTraceElement[]> thread : Thread.getAllStackTraces().entrySet()) {
            String name = thread.getKey().getName();
            if (name.startsWith("XNIO") || name.startsWith("HttpClient") || name.startsWith("relay-")) {
                report.append('"').append(name).append("\" ").append(thread.getKey().getState()).append('\n');
                for (StackTraceElement frame : thread.getValue()) {
                    report.append("    at ").append(frame).append('\n');
                }
            }
        }
        report.append("--- TCP sockets on 127.0.0.0/8 (ss -tn) ---\n").append(sockets());
        return report.toString();
    }

    private static String sockets() {
        try {
            Process ss = new ProcessBuilder("ss", "-tnoi", "src", "127.0.0.0/8").redirectErrorStream(true).start();
            String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return ss.waitFor(10, TimeUnit.SECONDS) ? out : "ss did not finish\n";
        } catch (IOException e) {
            return "ss could not run: " + e.getMessage() + "\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted\n";
        }
    }
}
