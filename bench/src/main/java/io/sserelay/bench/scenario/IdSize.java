package io.sserelay.bench.scenario;

import io.sserelay.relay.cluster.ClusterNode;
import io.sserelay.relay.cluster.EventId;
import io.sserelay.relay.cluster.Message.Envelope;
import io.sserelay.relay.cluster.Message.Refusal;
import io.sserelay.relay.cluster.StreamIds;
import io.sserelay.relay.cluster.View;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * S7: how long an event id is, in bytes (the id is ASCII), in clusters of 1 to 100 relays, after
 * a million events, and after 1,000 membership changes. Every event a subscriber gets carries its
 * id, and a reconnecting browser sends it back. The ids are made by the relays' own cluster
 * protocol ({@link ClusterNode}), run in-process with messages delivered at once and a clock that
 * moves only when told, so a cluster's weeks of membership changes take a second. Also the id of
 * an {@code /events} connection to 1, 8 and 32 streams.
 */
public final class IdSize implements Scenario {

    /** The wall clock the relays start at: 2026-12-07, in microseconds since the epoch. */
    private static final long WALL_CLOCK_MICROS = 1_796_601_600_000_000L;
    private static final ClusterNode.Settings SETTINGS = new ClusterNode.Settings(2_000, 4_000, 100, 3_000, 5_000,
            1_000, 10_000);

    @Override
    public String id() {
        return "S7";
    }

    @Override
    public String title() {
        return "Bytes per event id: cluster size, a million events, 1,000 membership changes";
    }

    @Override
    public ScenarioResult run(BenchContext context) {
        List<Figure> figures = new ArrayList<>();
        int longest = 0;
        int unreadable = 0;
        for (int relays : List.of(1, 3, 10, 30, 100)) {
            Cluster cluster = new Cluster(relays);
            EventId published = cluster.publish("orders");
            unreadable += published.equals(EventId.parse(published.toString())) ? 0 : 1;
            String id = published.toString();
            longest = Math.max(longest, id.length());
            figures.add(Figure.info("id bytes, " + relays + " relay" + (relays == 1 ? "" : "s"), id.length(), "bytes"));
        }
        Cluster busy = new Cluster(3);
        int events = context.count(1_000_000, 10_000);
        EventId afterMillion = null;
        for (int i = 0; i < events; i++) {
            afterMillion = busy.publish("orders");
        }
        longest = Math.max(longest, afterMillion.toString().length());
        figures.add(Figure.info("id bytes after " + events + " events on one stream", afterMillion.toString().length(),
                "bytes"));
        int changes = context.count(1_000, 100);
        Cluster churned = new Cluster(3);
        for (int i = 0; i < changes; i++) {
            churned.replaceOne(i);
            churned.publish("orders");
        }
        EventId last = churned.publish("orders");
        unreadable += last.equals(EventId.parse(last.toString())) ? 0 : 1;
        String afterChurn = last.toString();
        longest = Math.max(longest, afterChurn.length());
        figures.add(Figure.info("id bytes after " + changes + " membership changes (one relay of three replaced each"
                + " time)", afterChurn.length(), "bytes"));
        figures.add(Figure.atMost("longest single-stream id", longest, "bytes", 24));
        for (int streams : List.of(1, 8, 32)) {
            Map<String, EventId> places = new TreeMap<>();
            for (int s = 0; s < streams; s++) {
                places.put("stream-" + s, EventId.parse(afterChurn));
            }
            String label = "/events id bytes, " + streams + (streams == 1 ? " stream" : " streams") + " named stream-N";
            String text = StreamIds.format(places);
            unreadable += places.equals(StreamIds.parse(text, streams)) ? 0 : 1;
            figures.add(Figure.info(label, text.length(), "bytes"));
        }
        figures.add(Figure.none("ids the relays could not read back", unreadable));
        return new ScenarioResult(id(), title(),
                "ids made by the relays' cluster protocol, in-process, messages delivered at once; a membership"
                        + " change is a new view generation with one relay replaced by a new one",
                figures, Map.of(),
                List.of("Last id after the membership changes: " + afterChurn,
                        "An id is epoch-offset in base 36: the epoch is the view generation a stream's owner started"
                                + " numbering in (and 20 random bits), the offset its place along the stream; neither"
                                + " grows with the number of relays. At most 24 characters.",
                        "An /events id names each of its connection's streams once: name~epoch-offset."));
    }

    /** Relays whose messages reach each other at once, in order, with a clock that moves when they publish. */
    private static final class Cluster {
        private final Map<String, ClusterNode<String>> nodes = new TreeMap<>();
        private final ArrayDeque<Runnable> network = new ArrayDeque<>();
        private final Random random = new Random(7);
        private long now;
        private long generation;
        private int nextName;

        Cluster(int relays) {
            for (int i = 0; i < relays; i++) {
                add();
            }
            publishView();
        }

        private void add() {
            String name = "10.0." + nextName / 250 + "." + (nextName % 250 + 1) + ":7070";
            nextName++;
            nodes.put(name, new ClusterNode<>(name, nextName, SETTINGS, (to, envelope) -> send(to, envelope),
                    new Random(random.nextLong()), () -> WALL_CLOCK_MICROS + now * 1_000));
        }

        private void send(String to, Envelope envelope) {
            network.add(() -> {
                ClusterNode<String> node = nodes.get(to);
                if (node != null) {
                    node.onMessage(envelope, now);
                }
            });
        }

        private void publishView() {
            View view = View.of(++generation, List.copyOf(nodes.keySet()));
            nodes.values().forEach(node -> node.onView(view, now));
            settle(() -> nodes.values().stream().allMatch(node -> node.awaitedHandovers().isEmpty()));
        }

        /** Takes one relay out and puts a new one in, as a rolling update does. */
        void replaceOne(int round) {
            List<String> names = new ArrayList<>(nodes.keySet());
            nodes.remove(names.get(round % names.size()));
            add();
            publishView();
        }

        /** Publishes one event through the first relay and returns its id. */
        EventId publish(String stream) {
            now += 1;
            List<EventId> ids = new ArrayList<>();
            ClusterNode<String> via = nodes.values().iterator().next();
            via.publish(stream, List.of("x"), null, null, now, new ClusterNode.PublishCallback() {
                @Override
                public void published(List<EventId> published, boolean replayed) {
                    ids.addAll(published);
                }

                @Override
                public void refused(Refusal code, String reason) {
                    throw new IllegalStateException("a publish was refused: " + code + ", " + reason);
                }
            });
            settle(() -> !ids.isEmpty());
            if (ids.isEmpty()) {
                throw new IllegalStateException("a publish was not answered");
            }
            return ids.get(0);
        }

        /** Delivers every message, ticking the relays, until {@code done}. */
        private void settle(BooleanSupplier done) {
            for (int round = 0; round < 1_000 && !done.getAsBoolean(); round++) {
                while (!network.isEmpty() && !done.getAsBoolean()) {
                    network.poll().run();
                }
                if (!done.getAsBoolean()) {
                    now += 10;
                    nodes.values().forEach(node -> node.tick(now));
                }
            }
            if (!done.getAsBoolean()) {
                throw new IllegalStateException("the cluster did not settle");
            }
        }
    }
}
