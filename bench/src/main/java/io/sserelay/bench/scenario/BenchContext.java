package io.sserelay.bench.scenario;

import io.sserelay.bench.client.SseLoadClient;
import io.sserelay.bench.relay.RelayProcess;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What scenarios share: where the relay jar and logs are, how big and long to run, and how to
 * start relays and load clients the same way every time.
 *
 * @param scale    1.0 for the documented runs; smaller values shrink connection counts and durations
 *                 proportionally (the build's smoke test runs every scenario at a small scale)
 * @param relayJar the relay's runnable jar
 * @param logs     where relay logs go
 */
public record BenchContext(double scale, Path relayJar, Path logs) {

    /** The bearer token relays under test accept from the publishers. */
    public static final String PUBLISH_TOKEN = "bench-publish-token-0123456789";
    /** The size of every benchmark event's data. */
    public static final int EVENT_BYTES = 100;
    public static final String PEER_TOKEN = "bench-peer-token-0123456789";
    /** Load clients connect from 127.0.0.101 .. 127.0.0.116. */
    private static final int SOURCE_ADDRESSES = 16;

    /** {@code full} scaled, but never below {@code min}. */
    public int count(int full, int min) {
        return Math.max(min, (int) Math.round(full * scale));
    }

    public Duration duration(Duration full, Duration min) {
        Duration scaled = Duration.ofMillis(Math.round(full.toMillis() * scale));
        return scaled.compareTo(min) < 0 ? min : scaled;
    }

    /** A single relay on {@code address}:8080 with publishing by token and default limits. */
    public RelayProcess startRelay(String name, String address, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("RELAY_PUBLISH_TOKEN", PUBLISH_TOKEN);
        return RelayProcess.start(name, relayJar, address, 8080, env, logs);
    }

    /**
     * The relays of a cluster, one per address, started together and then awaited: each is ready
     * only once every other member of the view has handed over to it.
     */
    public List<RelayProcess> startCluster(String namePrefix, List<String> addresses, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("RELAY_PUBLISH_TOKEN", PUBLISH_TOKEN);
        List<RelayProcess> relays = new ArrayList<>();
        try {
            for (int i = 0; i < addresses.size(); i++) {
                relays.add(RelayProcess.launch(namePrefix + (i + 1), relayJar, addresses.get(i), 8080, env, logs,
                        RelayProcess.JVM_OPTIONS));
            }
            relays.forEach(RelayProcess::awaitReady);
            return relays;
        } catch (RuntimeException e) {
            relays.forEach(RelayProcess::close);
            throw e;
        }
    }

    /** As {@link #startRelay(String, String, Map)}, with other JVM options. */
    public RelayProcess startRelay(String name, String address, Map<String, String> extraEnv, List<String> jvmOptions) {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("RELAY_PUBLISH_TOKEN", PUBLISH_TOKEN);
        return RelayProcess.start(name, relayJar, address, 8080, env, logs, jvmOptions);
    }

    /** A load client with {@code threads} selector threads, connecting from the benchmark's source addresses. */
    public SseLoadClient loadClient(int threads) {
        List<InetAddress> sources = new ArrayList<>();
        try {
            for (int i = 1; i <= SOURCE_ADDRESSES; i++) {
                sources.add(InetAddress.getByName("127.0.0." + (100 + i)));
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return new SseLoadClient(threads, sources);
    }
}
