package io.sserelay.bench.scenario;

import io.sserelay.bench.Await;
import io.sserelay.bench.relay.RelayProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * S6: what the history costs on the heap, and whether publishing stays fast when it is large:
 * the live heap per retained stream (with its one event) and per retained event, measured
 * after full collections, against what the relay's own budget counts for them; and the
 * latency of single publishes on an empty relay and with a million distinct streams retained.
 */
public final class HistoryMemory implements Scenario {

    private static final List<String> JVM_OPTIONS = List.of("-Xms3g", "-Xmx3g", "-XX:MaxGCPauseMillis=20");
    private static final int BATCH = 1000;
    private static final int EVENT_STREAMS = 1000;
    private static final int SAMPLES = 2000;
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Override
    public String id() {
        return "S6";
    }

    @Override
    public String title() {
        return "History memory: 1,000,000 distinct streams retained";
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        int streams = context.count(1_000_000, 10_000);
        // Room for everything this scenario publishes, so that nothing is evicted while it measures.
        Map<String, String> env = Map.of("RELAY_HISTORY_MAX_BYTES", "2400Mi", "RELAY_CONNECTIONS_MAX_BYTES", "64Mi",
                "RELAY_PUBLISH_MAX_PENDING_BYTES", "64Mi", "RELAY_SUBSCRIBER_QUEUES_MAX_BYTES", "64Mi",
                "RELAY_HISTORY_MAX_AGE", "1h",
                "RELAY_HISTORY_MAX_STREAMS", "2000000");
        try (RelayProcess relay = context.startRelay("s6-relay", "127.0.0.61", env, JVM_OPTIONS)) {
            publishLatencies(relay, "warm", SAMPLES); // the JIT compiles the publish path
            double[] emptyLatency = publishLatencies(relay, "empty", SAMPLES);
            long heapEmpty = liveHeap(relay);
            double countedEmpty = relay.metric("sserelay_history_bytes");

            publishDistinct(relay, "user.", streams, 1);
            long heapStreams = liveHeap(relay);
            double countedStreams = relay.metric("sserelay_history_bytes");
            double[] fullLatency = publishLatencies(relay, "late", SAMPLES);

            long heapBeforeEvents = liveHeap(relay);
            double countedBeforeEvents = relay.metric("sserelay_history_bytes");
            publishDistinct(relay, "busy.", streams, streams / EVENT_STREAMS);
            long heapEvents = liveHeap(relay);
            double countedEvents = relay.metric("sserelay_history_bytes");
            long expected = 3L * SAMPLES + streams + streams;
            // The relay counts what it holds at each retention pass, once a second: wait for the last events.
            Await.within(Duration.ofSeconds(5), () -> relay.metric("sserelay_history_events") >= expected);
            double retained = relay.metric("sserelay_history_events");

            double perStream = (double) (heapStreams - heapEmpty) / streams;
            double perEvent = (double) (heapEvents - heapBeforeEvents) / streams;
            List<Figure> figures = new ArrayList<>();
            figures.add(Figure.info("heap per retained stream with its one event", perStream, "bytes"));
            figures.add(Figure.info("  of which the relay's budget counts", (countedStreams - countedEmpty) / streams,
                    "bytes"));
            figures.add(Figure.info("heap per further retained event (100 bytes of data)", perEvent, "bytes"));
            figures.add(Figure.info("  of which the relay's budget counts", (countedEvents - countedBeforeEvents) / streams,
                    "bytes"));
            figures.add(Figure.info("publish latency p50, empty relay", emptyLatency[0], "ms"));
            figures.add(Figure.info("publish latency p99, empty relay", emptyLatency[1], "ms"));
            figures.add(Figure.info("publish latency p50, " + Format.number(streams) + " streams retained",
                    fullLatency[0], "ms"));
            figures.add(Figure.info("publish latency p99, " + Format.number(streams) + " streams retained",
                    fullLatency[1], "ms"));
            figures.add(Figure.info("live heap with everything retained", heapEvents / (1024.0 * 1024), "MiB"));
            figures.add(Figure.info("events retained", retained, ""));
            figures.add(Figure.none("events evicted while measuring", Math.max(0, expected - (long) retained)));
            String setup = String.format("One relay (%s, history budget 2,400 MiB). %s events of %d bytes, each on a"
                    + " stream of its own, published in batches of %d; then %s more on %s streams. Latency: %s"
                    + " single-event publishes to new streams one after another (HTTP/1.1 keep-alive), after as many"
                    + " to warm up, before and after.",
                    String.join(" ", JVM_OPTIONS), Format.number(streams), BenchContext.EVENT_BYTES, BATCH,
                    Format.number(streams), Format.number(EVENT_STREAMS), Format.number(SAMPLES));
            List<String> notes = List.of("Heap is the live heap after a full collection (jcmd GC.run, then"
                    + " GC.heap_info), before and after each step, divided by what the step added. The relay's own"
                    + " count is the sserelay_history_bytes metric, which its history budget is enforced on.");
            return new ScenarioResult(id(), title(), setup, figures, Map.of(), notes);
        }
    }

    /** Publishes {@code events} events round-robin over {@code events / perStream} streams named {@code prefix + i}. */
    private static void publishDistinct(RelayProcess relay, String prefix, int events, int perStream)
            throws IOException, InterruptedException {
        String data = "x".repeat(BenchContext.EVENT_BYTES);
        int streams = events / perStream;
        for (int start = 0; start < events; start += BATCH) {
            StringBuilder body = new StringBuilder("[");
            for (int i = start; i < Math.min(events, start + BATCH); i++) {
                body.append(i == start ? "" : ",").append("{\"stream\":\"").append(prefix).append(i % streams)
                        .append("\",\"data\":\"").append(data).append("\"}");
            }
            send(relay, "/publish", "application/json", body.append(']').toString());
        }
    }

    /** p50 and p99, in milliseconds, of single publishes each to a new stream. */
    private static double[] publishLatencies(RelayProcess relay, String prefix, int samples)
            throws IOException, InterruptedException {
        long[] nanos = new long[samples];
        String data = "x".repeat(BenchContext.EVENT_BYTES);
        for (int i = 0; i < samples; i++) {
            long start = System.nanoTime();
            send(relay, "/streams/" + prefix + i, "text/plain", data);
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return new double[] {nanos[samples / 2] / 1e6, nanos[(int) (samples * 0.99)] / 1e6};
    }

    private static void send(RelayProcess relay, String path, String type, String body)
            throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = HTTP.send(HttpRequest.newBuilder(URI.create(relay.url() + path)).timeout(RelayProcess.ANSWER_TIMEOUT)
                    .header("Authorization", "Bearer " + BenchContext.PUBLISH_TOKEN).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new IllegalStateException("publish to " + path + " got no answer within " + RelayProcess.ANSWER_TIMEOUT
                    + relay.hangReport(), e);
        }
        if (response.statusCode() != 202) {
            throw new IllegalStateException("publish to " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
    }

    private static long liveHeap(RelayProcess relay) throws IOException, InterruptedException {
        relay.collectGarbage();
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process info = new ProcessBuilder(jcmd.toString(), Long.toString(relay.pid()), "GC.heap_info")
                .redirectErrorStream(true).start();
        String out = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!info.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("jcmd GC.heap_info did not finish");
        }
        Matcher used = HEAP_USED.matcher(out);
        if (!used.find()) {
            throw new IllegalStateException("no heap figure in: " + out);
        }
        return Long.parseLong(used.group(1)) * 1024;
    }
}
