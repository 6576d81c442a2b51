package io.sserelay.bench.scenario;

import io.sserelay.bench.Await;
import io.sserelay.bench.client.SseLoadClient;
import io.sserelay.bench.relay.RelayProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * S3: what an idle subscriber costs a relay: the growth of the relay process's resident memory
 * (and, for context, of its live heap) from before to after opening the connections, each
 * measured after a full garbage collection, divided by the number of connections.
 */
public final class IdleConnectionMemory implements Scenario {

    private static final double TARGET_BYTES = 8 * 1024;
    /** File descriptors each process keeps for itself: jars, selectors, listeners, logs. */
    private static final int DESCRIPTOR_RESERVE = 400;
    private static final Pattern OPEN_FILES = Pattern.compile("Max open files\\s+(\\d+|unlimited)");
    private static final Pattern HEAP_USED = Pattern.compile("^jvm_memory_used_bytes\\{area=\"heap\",[^}]*} (\\S+)$",
            Pattern.MULTILINE);

    @Override
    public String id() {
        return "S3";
    }

    @Override
    public String title() {
        return "Connection memory: 20,000 idle subscribers on one relay";
    }

    @Override
    public ScenarioResult run(BenchContext context) throws Exception {
        int wanted = context.count(20_000, 200);
        int allowed = openFileLimit() - DESCRIPTOR_RESERVE;
        int connections = Math.min(wanted, allowed);
        List<String> notes = new ArrayList<>();
        if (connections < wanted) {
            notes.add(String.format("%s connections instead of %s: this machine caps open files at %s per process "
                            + "(a hard limit that cannot be raised here), and each connection is one on either end.",
                    Format.number(connections), Format.number(wanted), Format.number(openFileLimit())));
        }
        try (RelayProcess relay = context.startRelay("s3-relay", "127.0.0.31", Map.of());
             SseLoadClient client = context.loadClient(1)) {
            // Warm up the accept and subscribe paths so that the baseline holds their code and pools.
            SubscriberGroup.open(client, Math.min(1_000, connections), relay.address(), "/streams/idle")
                    .awaitOpen(Duration.ofSeconds(60));
            client.closeAll();
            Await.until("the warm-up connections to close", Duration.ofSeconds(60),
                    () -> client.openSubscriptions() == 0 && relay.metric("sserelay_connections") == 0);
            relay.collectGarbage();
            long residentBefore = relay.residentBytes();
            double heapBefore = heapUsed(relay);

            SubscriberGroup group = SubscriberGroup.open(client, connections, relay.address(), "/streams/idle")
                    .awaitOpen(Duration.ofSeconds(120));
            Await.until("the relay to count every connection", Duration.ofSeconds(60),
                    () -> relay.metric("sserelay_connections") == connections);
            relay.collectGarbage();
            long residentAfter = relay.residentBytes();
            double heapAfter = heapUsed(relay);

            double perConnection = (double) (residentAfter - residentBefore) / connections;
            List<Figure> figures = new ArrayList<>();
            figures.add(Figure.atMost("resident memory per connection", perConnection, "bytes", TARGET_BYTES));
            figures.add(Figure.info("live heap per connection", (heapAfter - heapBefore) / connections, "bytes"));
            figures.add(Figure.info("idle connections", connections, ""));
            figures.add(Figure.info("relay resident memory with them", residentAfter / (1024.0 * 1024), "MiB"));
            figures.add(Figure.none("subscribers disconnected", group.ended()));
            notes.add("Resident memory (VmRSS) of the relay process, each time after a full collection (jcmd GC.run), "
                    + "before and after opening the connections; the relay runs with " + RelayProcess.JVM_OPTIONS
                    + ". Kernel socket buffers are not part of the process and not counted.");
            String setup = String.format("%s idle subscribers on one stream of one relay, after a warm-up of 1,000 "
                    + "connections opened and closed.", Format.number(connections));
            return new ScenarioResult(id(), title(), setup, figures, Map.of(), notes);
        }
    }

    private static double heapUsed(RelayProcess relay) {
        Matcher m = HEAP_USED.matcher(relay.metrics());
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    /** This process's limit on open files; relays inherit it. */
    private static int openFileLimit() throws IOException {
        Matcher m = OPEN_FILES.matcher(Files.readString(Path.of("/proc/self/limits")));
        if (!m.find() || m.group(1).equals("unlimited")) {
            return Integer.MAX_VALUE;
        }
        return Integer.parseInt(m.group(1));
    }
}
