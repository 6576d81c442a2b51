package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.ClusterNode.PublishCallback;
import io.sserelay.relay.cluster.ClusterNode.Settings;
import io.sserelay.relay.cluster.ClusterNode.Subscriber;
import io.sserelay.relay.cluster.Message.Envelope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * A whole cluster of {@link ClusterNode}s on one thread: a seeded scheduler, a simulated clock
 * and a simulated network that delays, reorders, loses and partitions messages, an operator that
 * publishes views which relays see at different times (or, cut off from the API server, only
 * from their peers), relays that are killed and restart empty, publishers, and subscribers that
 * hop to another relay with their last id. Everything random comes from one seed, so a seed
 * replays a run exactly.
 */
final class ClusterSimulation {

    /** The wall-clock time at which every run starts: 2026-12-07, in milliseconds since the epoch. */
    static final long WALL_CLOCK_START_MILLIS = 1_796_601_600_000L;

    static final Settings SETTINGS = new Settings(2_000, 4_000, 100, 3_000, 5_000, 100_000, 10_000);

    /** The relays' settings; a scenario may shorten the retention so that resumes fall off it. */
    Settings settings = SETTINGS;
    /** Retention by age, which makes relays forget idle streams; null in most runs. */
    ClusterNode.Retention<String> retention;
    /** How far a relay's wall clock may be from the simulation's, either way. */
    static final int MAX_SKEW_MILLIS = 50;
    /** When relays stop applying the retention, so that the checker holds the calm phase's publishes whole. */
    long retentionUntil;
    /** Stream copies relays forgot for being idle. */
    long forgotten;
    /** When each payload was last sent by its publisher, for retention by age. */
    final Map<String, Long> publishedAt = new HashMap<>();

    final long seed;
    final Random random;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
    private long now;
    private long order;

    // the network
    double loss;
    final Set<String> cut = new HashSet<>();
    long maxDelay = 20;

    // the relays
    final Map<String, ClusterNode<String>> nodes = new TreeMap<>();
    private final Map<String, Long> incarnations = new HashMap<>();
    /** How far each relay's wall clock is off, in microseconds: ±50 ms, the same after a restart. */
    private final Map<String, Long> clockSkew = new HashMap<>();
    private int nextNodeNumber;
    /** Relays that read the operator's views directly; the others learn them only from peers. */
    final Set<String> apiReachable = new HashSet<>();

    // the operator
    View view;

    // what the checker reads
    final List<String> streams = new ArrayList<>();
    final Map<String, Publish> publishes = new LinkedHashMap<>();
    final List<Reader> readers = new ArrayList<>();
    /** Acknowledged events whose every copy died with the relays that held them. */
    final Set<String> lostAcknowledged = new HashSet<>();
    final Set<String> streamsWithLoss = new HashSet<>();
    final List<String> log = new ArrayList<>();
    private int nextPayload;

    ClusterSimulation(long seed) {
        this.seed = seed;
        this.random = new Random(Placement.mix(seed)); // nearby seeds give java.util.Random nearly the same first numbers
    }

    long now() {
        return now;
    }

    // ---- the scheduler ----

    private record Scheduled(long at, long order, Runnable action) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled other) {
            return at != other.at ? Long.compare(at, other.at) : Long.compare(order, other.order);
        }
    }

    void at(long time, Runnable action) {
        queue.add(new Scheduled(Math.max(time, now), order++, action));
    }

    void after(long delay, Runnable action) {
        at(now + delay, action);
    }

    void runUntil(long end) {
        while (!queue.isEmpty() && queue.peek().at <= end) {
            Scheduled next = queue.poll();
            now = next.at;
            next.action.run();
        }
        now = end;
    }

    // ---- relays ----

    String startNode() {
        String name = "r" + nextNodeNumber++;
        startNode(name);
        return name;
    }

    void startNode(String name) {
        long incarnation = incarnations.merge(name, 1L, Long::sum);
        long skew = clockSkew.computeIfAbsent(name, n -> (long) random.nextInt(2 * MAX_SKEW_MILLIS * 1_000 + 1)
                - MAX_SKEW_MILLIS * 1_000);
        ClusterNode<String> node = new ClusterNode<>(name, incarnation, settings,
                (to, envelope) -> send(to, envelope), new Random(random.nextLong()),
                () -> (WALL_CLOCK_START_MILLIS + now) * 1_000 + skew);
        nodes.put(name, node);
        apiReachable.add(name);
        log.add(now + " start " + name + "#" + incarnation);
        scheduleTicks(name, node);
        if (view != null) {
            View current = view;
            after(1 + random.nextInt(50), () -> seeView(name, node, current));
        }
    }

    private void scheduleTicks(String name, ClusterNode<String> node) {
        after(5 + random.nextInt(30), () -> {
            if (nodes.get(name) == node) {
                node.tick(now);
                if (retention != null && now < retentionUntil && now / 1_000 != (now - 35) / 1_000) { // about once a second
                    int forgot = node.retain(retention, WALL_CLOCK_START_MILLIS + now + clockSkew.get(name) / 1_000)
                            .forgotten();
                    if (forgot > 0) {
                        forgotten += forgot;
                        log.add(now + " " + name + " forgot " + forgot + " idle stream copies");
                    }
                }
                scheduleTicks(name, node);
            }
        });
    }

    void kill(String name) {
        if (!nodes.containsKey(name)) {
            return;
        }
        sampleHolders(); // what dies with it counts as held by it
        ClusterNode<String> node = nodes.remove(name);
        log.add(now + " kill " + name);
        kills++;
        deaths.add(name + "#" + incarnations.get(name));
        for (Publish publish : inFlight.getOrDefault(name, List.of())) {
            if (publish.ids == null) {
                publish.outcome = "unanswered: " + name + " died";
                retryLater(publish);
            }
        }
        inFlight.remove(name);
        recordLostCopies();
        for (Reader reader : readers) {
            if (name.equals(reader.node)) {
                reader.node = null;
                after(50 + random.nextInt(300), () -> reconnect(reader));
            }
        }
    }

    boolean isAlive(String name) {
        return nodes.containsKey(name);
    }

    List<String> aliveNodes() {
        return new ArrayList<>(nodes.keySet());
    }

    // ---- the operator ----

    void publishView(List<String> members, List<String> leaving) {
        view = new View(view == null ? 1 : view.generation() + 1, members, leaving);
        viewSizes.add(new long[] {now, members.size()});
        View published = view;
        log.add(now + " view " + published);
        for (Map.Entry<String, ClusterNode<String>> node : nodes.entrySet()) {
            String name = node.getKey();
            ClusterNode<String> instance = node.getValue();
            after(1 + random.nextInt(200), () -> seeView(name, instance, published));
        }
    }

    private void seeView(String name, ClusterNode<String> node, View seen) {
        if (nodes.get(name) != node) {
            return;
        }
        if (!apiReachable.contains(name)) {
            after(200, () -> seeView(name, node, view)); // it keeps retrying its watch
            return;
        }
        node.onView(seen, now);
        stepped(name, node);
    }

    /**
     * After a step: a relay's runtime hands local subscribers what was delivered when its thread
     * has no step left, which may be now or after more steps (at the latest, its next tick).
     */
    private void stepped(String name, ClusterNode<String> node) {
        if (random.nextBoolean()) {
            node.flushReaders();
        } else {
            after(1 + random.nextInt(10), () -> {
                if (nodes.get(name) == node) {
                    node.flushReaders();
                }
            });
        }
    }

    // ---- the network ----

    private void send(String to, Envelope envelope) {
        String from = envelope.from();
        if (cut.contains(from + ">" + to) || random.nextDouble() < loss) {
            return;
        }
        ClusterNode<String> sender = nodes.get(from);
        after(1 + random.nextInt((int) maxDelay), () -> {
            ClusterNode<String> target = nodes.get(to);
            if (target != null && !cut.contains(from + ">" + to) && nodes.get(from) == sender) {
                trace(from, to, envelope.body());
                target.onMessage(envelope, now);
                stepped(to, target);
            }
        });
    }

    /**
     * With {@code -Dcluster.trace=TEXT}, the run's log also shows each message delivered whose
     * text holds TEXT (as {@code stream=s0,}), to follow one stream through a failing seed.
     */
    private static final String TRACE = System.getProperty("cluster.trace");

    private void trace(String from, String to, Message body) {
        if (TRACE != null) {
            String text = body.toString();
            if (text.contains(TRACE)) {
                log.add(now + " " + from + ">" + to + " " + (text.length() > 400 ? text.substring(0, 400) + "..." : text));
            }
        }
    }

    void partition(Set<String> side) {
        for (String a : side) {
            for (String b : allNames()) {
                if (!side.contains(b)) {
                    cut.add(a + ">" + b);
                    cut.add(b + ">" + a);
                }
            }
        }
        log.add(now + " partition " + side);
    }

    /** Cuts {@code node} off from every relay but {@code peer}, until the next heal. */
    void isolateExcept(String node, String peer) {
        for (String other : allNames()) {
            if (!other.equals(node) && !other.equals(peer)) {
                cut.add(node + ">" + other);
                cut.add(other + ">" + node);
            }
        }
        log.add(now + " isolate " + node + " but for " + peer);
    }

    void heal() {
        cut.clear();
        log.add(now + " heal");
    }

    private Set<String> allNames() {
        Set<String> names = new HashSet<>(incarnations.keySet());
        names.addAll(nodes.keySet());
        return names;
    }

    // ---- publishers ----

    /** One publish: a batch of events for one stream, perhaps with a key, tried through one relay or more. */
    static final class Publish {
        final String stream;
        final List<String> payloads;
        final String key;
        String via;
        int attempts;
        String outcome = "unanswered";
        List<EventId> ids;

        Publish(String stream, List<String> payloads, String key) {
            this.stream = stream;
            this.payloads = payloads;
            this.key = key;
        }

        String digest() {
            return String.join("|", payloads);
        }

        @Override
        public String toString() {
            return payloads + (key == null ? "" : " key " + key) + " via " + via + ": " + outcome;
        }
    }

    /** Publishes attempted through each relay and not yet answered: lost with the relay if it dies. */
    private final Map<String, List<Publish>> inFlight = new HashMap<>();
    /** A publisher with a key tries again, through any relay, when it got no answer or a refusal. */
    static final int MAX_ATTEMPTS = 4;
    final List<String> replayMismatches = new ArrayList<>();

    Publish publish(String stream, String via, int events, boolean keyed) {
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            payloads.add(stream + "#" + nextPayload++);
        }
        Publish publish = new Publish(stream, payloads, keyed ? "k" + nextPayload : null);
        for (String payload : payloads) {
            publishes.put(payload, publish);
        }
        attempt(publish, via);
        return publish;
    }

    private void attempt(Publish publish, String via) {
        publish.via = via;
        publish.attempts++;
        for (String payload : publish.payloads) {
            publishedAt.put(payload, WALL_CLOCK_START_MILLIS + now); // each request is published anew, as on a relay
        }
        ClusterNode<String> node = nodes.get(via);
        if (node == null) {
            publish.outcome = "relay down";
            retryLater(publish);
            return;
        }
        int killsBefore = kills;
        inFlight.computeIfAbsent(via, v -> new ArrayList<>()).add(publish);
        node.publish(publish.stream, publish.payloads, publish.key, publish.key == null ? null : publish.digest(), now,
                new PublishCallback() {
                    @Override
                    public void published(List<EventId> ids, boolean replayed) {
                        inFlight.get(via).remove(publish);
                        if (publish.ids != null && !publish.ids.equals(ids)) {
                            replayMismatches.add(publish + " got " + publish.ids + " and then " + ids);
                        }
                        publish.outcome = replayed ? "published (replayed)" : "published";
                        publish.ids = ids;
                        EventId last = ids.get(ids.size() - 1);
                        // a relay killed since the publish began may have been the second holder
                        int holders = holdersOf(publish.stream, last) + (kills - killsBefore);
                        boolean alone = singleRelayViewSince(now - 5_000);
                        if (!replayed) {
                            Set<String> holding = new HashSet<>(deadSince(killsBefore));
                            holding.addAll(holdingProcesses(publish.stream, last));
                            AckRecord record = new AckRecord(publish.stream, last, holding, alone);
                            ackRecords.add(record);
                            ids.forEach(id -> ackHolders.put(id, record));
                        }
                        // A publish that waited (for an owner, through partitions) longer than
                        // retention keeps events is dropped by age as soon as it is committed, and
                        // the owner may forget the stream before its answer arrives here.
                        boolean expired = retention != null && retention.maxAgeMillis() > 0
                                && WALL_CLOCK_START_MILLIS + now - publishedAt.get(publish.payloads.get(0))
                                        > retention.maxAgeMillis() - 2 * MAX_SKEW_MILLIS;
                        if (!replayed && holders < 2 && !alone && !expired) {
                            underReplicated.add(publish + " was acknowledged while " + holders
                                    + " relay(s) held it; holders " + whoHolds(publish.stream, last));
                        }
                    }

                    @Override
                    public void refused(Message.Refusal code, String reason) {
                        inFlight.get(via).remove(publish);
                        if (publish.ids == null) {
                            publish.outcome = "refused " + code + ": " + reason;
                            retryLater(publish);
                        }
                    }
                });
        stepped(via, node);
    }

    private void retryLater(Publish publish) {
        if (publish.key == null || publish.attempts >= MAX_ATTEMPTS) {
            return;
        }
        after(200 + random.nextInt(400), () -> {
            List<String> alive = aliveNodes();
            if (publish.ids == null && !alive.isEmpty()) {
                attempt(publish, alive.get(random.nextInt(alive.size())));
            }
        });
    }

    // ---- subscribers ----

    final class Reader implements Subscriber<String> {
        final String stream;
        final int number;
        String node;
        EventId last;
        /** Whether it subscribes from now (no id) the first time, rather than from the stream's start. */
        final boolean fromNow;
        /** Once it started from now: true, with the place it was told. */
        boolean positioned;
        EventId startedAfter;
        /** Everything it received: events as "payload@id", resets as "RESET". */
        final List<String> received = new ArrayList<>();
        final List<Entry<String>> events = new ArrayList<>();

        Reader(String stream, int number, boolean fromNow) {
            this.stream = stream;
            this.number = number;
            this.fromNow = fromNow;
        }

        @Override
        public void onPosition(String eventStream, EventId at) {
            received.add("POSITION@" + at);
            positioned = true;
            startedAfter = at;
            last = at;
        }

        @Override
        public void onEvent(String eventStream, Entry<String> entry) {
            received.add(entry.payload() + "@" + entry.id());
            events.add(entry);
            last = entry.id();
        }

        @Override
        public void onReset(String eventStream, EventId resumeFrom) {
            received.add("RESET");
            events.add(null);
            last = resumeFrom;
        }

        @Override
        public String toString() {
            return "reader " + number + " of " + stream + " on " + node;
        }
    }

    Reader subscribe(String stream) {
        Reader reader = new Reader(stream, readers.size(), random.nextBoolean());
        readers.add(reader);
        reconnect(reader);
        return reader;
    }

    void reconnect(Reader reader) {
        List<String> alive = aliveNodes();
        if (reader.node != null || alive.isEmpty()) {
            if (reader.node == null) {
                after(200, () -> reconnect(reader));
            }
            return;
        }
        String target = alive.get(random.nextInt(alive.size()));
        reader.node = target;
        ClusterNode<String> node = nodes.get(target);
        if (reader.fromNow && !reader.positioned) {
            node.subscribeFromNow(reader.stream, reader, now);
        } else {
            node.subscribe(reader.stream, reader.last, reader, now);
        }
        stepped(target, node);
    }

    /** A subscriber disconnects for {@code millis} and then resumes on any relay from its last id. */
    void pause(Reader reader, long millis) {
        if (reader.node == null || !nodes.containsKey(reader.node)) {
            return;
        }
        sampleHolders();
        nodes.get(reader.node).unsubscribe(reader.stream, reader);
        recordLostCopies();
        reader.node = null;
        after(millis, () -> reconnect(reader));
    }

    /** A subscriber leaves its relay for another, resuming from its last id (the chaos test's hop). */
    void hop(Reader reader) {
        if (reader.node != null && nodes.containsKey(reader.node)) {
            sampleHolders();
            nodes.get(reader.node).unsubscribe(reader.stream, reader);
            recordLostCopies(); // the relay's cache of the stream may have been the last copy of some events
        }
        reader.node = null;
        reconnect(reader);
    }

    // ---- bookkeeping for the checker ----

    /** Acknowledged events that fewer than two relays held at the moment of the 202. */
    final List<String> underReplicated = new ArrayList<>();
    private final List<long[]> viewSizes = new ArrayList<>();
    private int kills;

    private List<String> whoHolds(String stream, EventId id) {
        List<String> who = new ArrayList<>();
        for (Map.Entry<String, ClusterNode<String>> node : nodes.entrySet()) {
            for (StreamLog<String> copy : node.getValue().copiesOf(stream)) {
                if (copy.indexOf(id) >= 0) {
                    who.add(node.getKey() + ":" + copy.entries().size());
                }
            }
        }
        return who;
    }

    /**
     * For each acknowledged publish (by its last id), the relay processes (name#incarnation) seen
     * holding it: when it was acknowledged, before each kill and at each subscriber hop. Copies
     * move as ownership does, so a loss is owed to two deaths among all of them.
     */
    private final Map<EventId, AckRecord> ackHolders = new HashMap<>();
    private final List<AckRecord> ackRecords = new ArrayList<>();

    /** One 202: its stream, its last id, the processes seen holding it, and whether its view had one member. */
    private record AckRecord(String stream, EventId last, Set<String> holders, boolean alone) {
    }

    private void sampleHolders() {
        for (AckRecord record : ackRecords) {
            record.holders().addAll(holdingProcesses(record.stream(), record.last()));
        }
    }
    /** Relay processes killed, in order. */
    private final List<String> deaths = new ArrayList<>();
    /** Acknowledged events lost although fewer than two of the relays that held them died. */
    final List<String> lostTooEasily = new ArrayList<>();

    private List<String> deadSince(int killsBefore) {
        return deaths.subList(killsBefore, deaths.size());
    }

    private Set<String> holdingProcesses(String stream, EventId id) {
        Set<String> processes = new HashSet<>();
        for (Map.Entry<String, ClusterNode<String>> node : nodes.entrySet()) {
            for (StreamLog<String> copy : node.getValue().copiesOf(stream)) {
                if (copy.indexOf(id) >= 0) {
                    processes.add(node.getKey() + "#" + incarnations.get(node.getKey()));
                }
            }
        }
        return processes;
    }

    private int holdersOf(String stream, EventId id) {
        int holders = 0;
        for (ClusterNode<String> node : nodes.values()) {
            boolean holds = false;
            for (StreamLog<String> copy : node.copiesOf(stream)) {
                // an event retention dropped since was held: the 202 may arrive after the drop
                holds |= copy.indexOf(id) >= 0 || copy.trimmedThrough() != null
                        && copy.trimmedThrough().epoch() == id.epoch() && copy.trimmedThrough().offset() >= id.offset();
            }
            holders += holds ? 1 : 0;
        }
        return holders;
    }

    /** Whether a view of one member was the operator's at any time since {@code since}: it acknowledges alone. */
    private boolean singleRelayViewSince(long since) {
        for (int i = viewSizes.size() - 1; i >= 0; i--) {
            if (viewSizes.get(i)[1] == 1) {
                return true;
            }
            if (viewSizes.get(i)[0] <= since) {
                return false;
            }
        }
        return false;
    }

    /** After a kill: acknowledged events that no living relay holds a copy of are lost, and may be. */
    private void recordLostCopies() {
        Map<String, Set<EventId>> held = new HashMap<>();
        for (String stream : streams) {
            Set<EventId> ids = new HashSet<>();
            for (ClusterNode<String> node : nodes.values()) {
                for (StreamLog<String> copy : node.copiesOf(stream)) {
                    for (Entry<String> entry : copy.entries()) {
                        ids.add(entry.id());
                    }
                }
            }
            held.put(stream, ids);
        }
        Map<String, Entry<String>> known = new HashMap<>();
        for (Publish publish : publishes.values()) {
            if (publish.ids != null) {
                for (int i = 0; i < publish.payloads.size(); i++) {
                    known.put(publish.payloads.get(i), new Entry<>(publish.ids.get(i), publish.payloads.get(i)));
                }
            }
        }
        for (Reader reader : readers) {
            for (Entry<String> entry : reader.events) {
                if (entry != null) {
                    known.put(entry.payload(), entry);
                }
            }
        }
        for (Entry<String> entry : known.values()) {
            String stream = publishes.get(entry.payload()).stream;
            if (!lostAcknowledged.contains(entry.payload()) && !held.get(stream).contains(entry.id())) {
                lostAcknowledged.add(entry.payload());
                streamsWithLoss.add(stream);
                log.add(now + " every copy of " + entry.payload() + "@" + entry.id() + " died");
                Publish publish = publishes.get(entry.payload());
                AckRecord record = ackHolders.get(entry.id()); // that 202's, not a later retry's
                Set<String> holders = record == null || record.alone() ? null : record.holders();
                if (holders != null && holders.stream().filter(deaths::contains).count() < 2
                        && settings.maxEntries() >= 1_000 && retention == null) {
                    lostTooEasily.add(publish + " was lost although, of the relays that held it at its 202 "
                            + holders + ", only " + holders.stream().filter(deaths::contains).toList() + " died");
                }
            }
        }
        // A reader that starts from now is told the place of the stream's last committed event,
        // which may be one whose publish was never acknowledged (its 202 lost on the way): when
        // every copy of that event dies, the stream has lost it as surely as one it delivered.
        for (Reader reader : readers) {
            EventId place = reader.startedAfter;
            if (place != null && !held.get(reader.stream).contains(place) && lostPlaces.add(place)) {
                streamsWithLoss.add(reader.stream);
                log.add(now + " every copy of " + reader.stream + "@" + place + ", where " + reader
                        + " was told it stands, died");
            }
        }
    }

    /** Places readers were told they stand at whose every copy died. */
    private final Set<EventId> lostPlaces = new HashSet<>();
}
