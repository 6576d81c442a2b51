package io.sserelay.bench.scenario;

import io.sserelay.relay.sse.SseFrames;
import io.sserelay.relay.stream.HistoryLimits;
import io.sserelay.relay.stream.InvalidPositionException;
import io.sserelay.relay.stream.Position;
import io.sserelay.relay.stream.PublishRequest;
import io.sserelay.relay.stream.RemoteEvent;
import io.sserelay.relay.stream.StreamHub;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S7: how long an event id is, in bytes (the id is ASCII), in clusters of 3, 10 and 30 relays
 * and after one relay of three restarted 1,000 times. Every event a subscriber gets carries
 * its id, and a reconnecting browser sends it back. The ids are made by the relay's own
 * {@link StreamHub}, fed the events and restarts in a simulated clock, so a cluster's weeks
 * take a second; each is compared with what the first id form ({@code origin:decimal}, every
 * origin kept) would have been.
 */
public final class IdSize implements Scenario {

    private static final long EVENTS_PER_RELAY = 1_000_000;
    private static final Duration MAX_AGE = Duration.ofMinutes(10);
    private static final Duration RUN_BETWEEN_RESTARTS = Duration.ofMinutes(5);
    private static final long START = 1_790_000_000L;

    @Override
    public String id() {
        return "S7";
    }

    @Override
    public String title() {
        return "Bytes per event id: cluster size and 1,000 restarts";
    }

    @Override
    public ScenarioResult run(BenchContext context) {
        List<Figure> figures = new ArrayList<>();
        int unreadable = 0;
        for (int relays : List.of(3, 10, 30)) {
            Position id = cluster(relays);
            unreadable += readsBack(id) ? 0 : 1;
            figures.add(Figure.info("id bytes, " + relays + " relays, 1,000,000 events each", id.format().length(),
                    "bytes"));
            figures.add(Figure.info("  in the first form", firstForm(id), "bytes"));
        }
        int restarts = context.count(1000, 100);
        Churn churn = churn(restarts);
        figures.add(Figure.atMost("id bytes after " + restarts + " restarts of one relay of three", churn.id.length(),
                "bytes", 128));
        figures.add(Figure.info("  origins named", churn.origins, ""));
        figures.add(Figure.info("  in the first form, every origin kept", churn.firstFormBytes, "bytes"));
        figures.add(Figure.none("ids the relay could not read back", unreadable + churn.unreadable));
        return new ScenarioResult(id(), title(),
                "ids made by the relay's StreamHub in a simulated clock; each relay has accepted 1,000,000 events;"
                        + " restarts every " + RUN_BETWEEN_RESTARTS.toMinutes() + " min with "
                        + EVENTS_PER_RELAY / 1000 + " events per run and a " + MAX_AGE.toMinutes()
                        + " min history",
                figures, Map.of(),
                List.of("Last id after the restarts: " + churn.id,
                        "Origins are 8 characters; sequence numbers are base 36 (1,000,000 is 'lfls');"
                                + " a stopped relay's origin leaves the ids once silent for the history's max age."));
    }

    /** The id on one relay of {@code relays}, each of which has accepted a million events. */
    private static Position cluster(int relays) {
        StreamHub hub = new StreamHub(origin(0), limits(), true, SseFrames.ENCODER);
        long now = 0;
        for (int r = 1; r < relays; r++) {
            hub.claimOrigin("link" + r, origin(r), START, now);
            hub.applyRemote(origin(r), List.of(event(EVENTS_PER_RELAY)), now);
        }
        // As if this relay had accepted as many events as the others.
        return hub.head().with(origin(0), EVENTS_PER_RELAY);
    }

    private record Churn(String id, int origins, long firstFormBytes, int unreadable) {
    }

    /** Whether a relay given {@code id} as a Last-Event-ID reads back the same position. */
    private static boolean readsBack(Position id) {
        try {
            return Position.parse(id.format()).equals(id);
        } catch (InvalidPositionException e) {
            return false;
        }
    }

    /**
     * Relays A (measured), B and C; C restarts {@code restarts} times, each run publishing and
     * then living {@link #RUN_BETWEEN_RESTARTS}; A sweeps its history as the relay does.
     */
    private static Churn churn(int restarts) {
        StreamHub hub = new StreamHub(origin(0), limits(), true, SseFrames.ENCODER);
        long now = 0;
        hub.claimOrigin("link-b", origin(1), START, now);
        hub.applyRemote(origin(1), List.of(event(EVENTS_PER_RELAY)), now);
        Map<String, Long> everyOrigin = new LinkedHashMap<>();
        everyOrigin.put(origin(0), 1L);
        everyOrigin.put(origin(1), EVENTS_PER_RELAY);
        long sweep = Duration.ofSeconds(1).toNanos();
        int unreadable = 0;
        for (int run = 0; run < restarts; run++) {
            String c = origin(2 + run);
            hub.claimOrigin("link-c", c, START + run * RUN_BETWEEN_RESTARTS.toSeconds(), now);
            hub.applyRemote(c, List.of(event(EVENTS_PER_RELAY / 1000)), now);
            everyOrigin.put(c, EVENTS_PER_RELAY / 1000);
            long end = now + RUN_BETWEEN_RESTARTS.toNanos();
            for (long t = now; t < end; t += Duration.ofSeconds(10).toNanos()) {
                hub.evictExpired(t);
            }
            unreadable += readsBack(hub.head()) ? 0 : 1;
            now = end + sweep;
        }
        publishOwn(hub, now);
        hub.evictExpired(now);
        Position id = hub.head();
        long firstForm = everyOrigin.entrySet().stream()
                .mapToLong(e -> e.getKey().length() + 1 + Long.toString(e.getValue()).length() + 1).sum() - 1;
        unreadable += readsBack(id) ? 0 : 1;
        return new Churn(id.format(), id.size(), firstForm, unreadable);
    }

    private static void publishOwn(StreamHub hub, long now) {
        hub.publish(List.of(new PublishRequest("s", null, "x".getBytes(StandardCharsets.UTF_8))), now);
    }

    private static RemoteEvent event(long seq) {
        return new RemoteEvent(seq, "s", null, "x".getBytes(StandardCharsets.UTF_8));
    }

    private static HistoryLimits limits() {
        return new HistoryLimits(1000, MAX_AGE, 64L << 20);
    }

    /** A distinct 8-character origin, like the relay's own. */
    private static String origin(int n) {
        String digits = Long.toString(2_000_000_000L + n * 7_919L, 36);
        return (digits + "00000000").substring(0, 8);
    }

    /** The length of {@code id} in the first form: {@code origin:decimal} entries. */
    private static long firstForm(Position id) {
        long length = id.size() - 1;
        for (int i = 0; i < id.size(); i++) {
            length += id.origin(i).length() + 1 + Long.toString(id.seq(i)).length();
        }
        return length;
    }
}
