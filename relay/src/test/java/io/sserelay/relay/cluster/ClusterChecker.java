package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.ClusterSimulation.Publish;
import io.sserelay.relay.cluster.ClusterSimulation.Reader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Holds a finished simulation to the delivery contract:
 * <ol>
 * <li>an id names one event, and an event has one id, everywhere;</li>
 * <li>every acknowledged event is in its stream's final copy, unless every copy of it died;</li>
 * <li>a subscriber gets each event at most once, and between resets exactly the stream's
 *     events in the stream's one order, with no gap, whichever relays it read from;</li>
 * <li>a reset happens only in a stream that lost events;</li>
 * <li>once the faults stop, every publish is acknowledged and every subscriber reaches the
 *     end of its stream.</li>
 * </ol>
 */
final class ClusterChecker {

    private final ClusterSimulation sim;
    private final List<Publish> calmPublishes;
    private final List<String> problems = new ArrayList<>();
    /** The last event retention dropped from each stream's final copy. */
    private final Map<String, EventId> finalTrimmed = new HashMap<>();

    ClusterChecker(ClusterSimulation sim, List<Publish> calmPublishes) {
        this.sim = sim;
        this.calmPublishes = calmPublishes;
    }

    /** Whether the run keeps so few events per stream that resumes fall off the retention. */
    private boolean trims() {
        return sim.settings.maxEntries() < 1_000 || sim.retention != null;
    }

    /** Whether retention by age may have dropped every copy of this payload by the end of the run. */
    private boolean agedOut(String payload) {
        return sim.retention != null && sim.publishedAt.get(payload)
                < ClusterSimulation.WALL_CLOCK_START_MILLIS + sim.retentionUntil - sim.retention.maxAgeMillis() + 200;
    }

    List<String> check() {
        Map<String, List<Entry<String>>> finalLogs = finalLogs();
        Map<EventId, String> payloadOf = new HashMap<>();
        Map<String, EventId> idOf = new HashMap<>();
        for (List<Entry<String>> log : finalLogs.values()) {
            for (Entry<String> entry : log) {
                sameEverywhere(entry, payloadOf, idOf, "a final copy");
            }
        }
        for (Reader reader : sim.readers) {
            for (Entry<String> entry : reader.events) {
                if (entry != null) {
                    sameEverywhere(entry, payloadOf, idOf, reader.toString());
                }
            }
        }
        Map<String, Integer> finalPosition = new HashMap<>();
        for (List<Entry<String>> log : finalLogs.values()) {
            for (int i = 0; i < log.size(); i++) {
                finalPosition.put(log.get(i).payload(), i);
            }
        }
        for (Publish publish : new java.util.LinkedHashSet<>(sim.publishes.values())) {
            checkPublish(publish, finalPosition, payloadOf, idOf);
        }
        problems.addAll(sim.replayMismatches);
        problems.addAll(sim.underReplicated);
        problems.addAll(sim.lostTooEasily);
        for (Reader reader : sim.readers) {
            checkReader(reader, finalLogs.get(reader.stream), reference(reader.stream, finalLogs.get(reader.stream)));
        }
        if (sim.view.members().size() > 1) {
            for (Map.Entry<String, ClusterNode<String>> node : sim.nodes.entrySet()) {
                for (String stream : node.getValue().keptCopies()) {
                    if (!node.getKey().equals(Placement.owner(sim.view, stream))
                            && !node.getKey().equals(Placement.replica(sim.view, stream))) {
                        problems.add(node.getKey() + " still keeps a copy of " + stream
                                + ", which it neither owns nor replicates, long after the faults stopped");
                    }
                }
            }
        }
        if (sim.view.members().size() > 1) {
            // Nothing is pending at the end, so each replica's copy must be all committed, or it
            // could never age out and be forgotten.
            for (String stream : sim.streams) {
                ClusterNode<String> replica = sim.nodes.get(Placement.replica(sim.view, stream));
                StreamLog<String> owned = sim.nodes.containsKey(Placement.owner(sim.view, stream))
                        ? sim.nodes.get(Placement.owner(sim.view, stream)).ownedLog(stream) : null;
                if (replica == null || owned == null || !owned.pending().isEmpty()) {
                    continue;
                }
                for (StreamLog<String> copy : replica.copiesOf(stream)) {
                    if (copy != replica.heldLog(stream)) {
                        continue;
                    }
                    if (copy.committedCount() != copy.size()) {
                        problems.add("the replica of " + stream + " still has " + copy.pending().size()
                                + " uncommitted entries at the end: " + copy.pending());
                    }
                }
            }
        }
        for (Publish publish : calmPublishes) {
            if (!"published".equals(publish.outcome)) {
                problems.add("after the faults stopped, " + publish);
            }
        }
        return problems;
    }

    private Map<String, List<Entry<String>>> finalLogs() {
        Map<String, List<Entry<String>>> logs = new HashMap<>();
        for (String stream : sim.streams) {
            String owner = Placement.owner(sim.view, stream);
            ClusterNode<String> node = sim.nodes.get(owner);
            StreamLog<String> log = node == null ? null : node.ownedLog(stream);
            if (log == null) {
                problems.add("the final owner " + owner + " of " + stream + " does not number it");
                logs.put(stream, List.of());
            } else {
                if (!log.pending().isEmpty()) {
                    problems.add("the final owner of " + stream + " still has pending entries " + log.pending());
                }
                logs.put(stream, List.copyOf(log.entries()));
                if (log.trimmedThrough() != null) {
                    finalTrimmed.put(stream, log.trimmedThrough());
                }
            }
        }
        return logs;
    }

    /**
     * An acknowledged publish is in the final copy with the ids its 202 gave, unless its events
     * died with every copy; and any publish is there whole, its events side by side, or not at all.
     */
    private void checkPublish(Publish publish, Map<String, Integer> finalPosition, Map<EventId, String> payloadOf,
            Map<String, EventId> idOf) {
        if (publish.ids != null) {
            for (int i = 0; i < publish.payloads.size(); i++) {
                sameEverywhere(new Entry<>(publish.ids.get(i), publish.payloads.get(i)), payloadOf, idOf,
                        "the publisher's 202");
            }
        }
        List<Integer> at = new ArrayList<>();
        for (String payload : publish.payloads) {
            if (finalPosition.containsKey(payload)) {
                at.add(finalPosition.get(payload));
            }
        }
        boolean lost = publish.payloads.stream().anyMatch(sim.lostAcknowledged::contains)
                || publish.payloads.stream().anyMatch(this::agedOut)
                || trims() && publish.ids != null && finalTrimmed.containsKey(publish.stream)
                && publish.ids.get(0).offset() <= finalTrimmed.get(publish.stream).offset(); // retention may cut a publish
        if (publish.ids != null && at.size() < publish.payloads.size() && !lost) {
            problems.add("acknowledged " + publish + " " + publish.ids + " is not (all) in the final copy"
                    + (trims() ? " (retention dropped it through " + finalTrimmed.get(publish.stream) + ")" : ""));
        }
        if (!at.isEmpty() && !lost) {
            boolean whole = at.size() == publish.payloads.size();
            for (int i = 1; whole && i < at.size(); i++) {
                whole = at.get(i) == at.get(i - 1) + 1;
            }
            if (!whole) {
                problems.add(publish + " is in the final copy in part or split, at " + at);
            }
        }
    }

    /**
     * Whether a publisher's retry with its key may have published these events again, under new
     * ids: when every copy of them died, or when retention dropped them, and their key with them.
     */
    private boolean mayRepeat(String payload) {
        Publish publish = sim.publishes.get(payload);
        return sim.lostAcknowledged.contains(payload)
                || trims() && publish != null && publish.key != null && publish.attempts > 1;
    }

    private void sameEverywhere(Entry<String> entry, Map<EventId, String> payloadOf, Map<String, EventId> idOf,
            String where) {
        if (mayRepeat(entry.payload())) {
            return;
        }
        String payload = payloadOf.putIfAbsent(entry.id(), entry.payload());
        if (payload != null && !payload.equals(entry.payload())) {
            problems.add("id " + entry.id() + " names " + payload + " and, in " + where + ", " + entry.payload());
        }
        EventId id = idOf.putIfAbsent(entry.payload(), entry.id());
        if (id != null && !id.equals(entry.id())) {
            problems.add(entry.payload() + " has id " + id + " and, in " + where + ", " + entry.id());
        }
    }

    private static String tail(Reader reader) {
        List<String> received = reader.received;
        return "..." + received.subList(Math.max(0, received.size() - 25), received.size());
    }

    private static String around(Reader reader, String payload) {
        StringBuilder text = new StringBuilder();
        List<String> received = reader.received;
        for (int i = 0; i < received.size(); i++) {
            if (received.get(i).equals(payload) || received.get(i).startsWith(payload + "@")) {
                text.append(" at ").append(i).append(": ")
                        .append(received.subList(Math.max(0, i - 5), Math.min(received.size(), i + 5)));
            }
        }
        return text.toString();
    }

    /**
     * The stream's order to hold readers to: its final copy, or, where retention has dropped the
     * start of it, every event known to have been committed (in copies, at readers, in 202s) in
     * offset order, which is the stream's order when it lost nothing.
     */
    private List<Entry<String>> reference(String stream, List<Entry<String>> finalLog) {
        if (!trims() || sim.streamsWithLoss.contains(stream)) {
            return finalLog;
        }
        Map<EventId, Entry<String>> known = new java.util.TreeMap<>();
        finalLog.forEach(entry -> known.put(entry.id(), entry));
        for (Reader reader : sim.readers) {
            if (reader.stream.equals(stream)) {
                reader.events.stream().filter(java.util.Objects::nonNull).forEach(entry -> known.put(entry.id(), entry));
            }
        }
        for (Publish publish : new java.util.LinkedHashSet<>(sim.publishes.values())) {
            if (publish.stream.equals(stream) && publish.ids != null) {
                for (int i = 0; i < publish.ids.size(); i++) {
                    known.put(publish.ids.get(i), new Entry<>(publish.ids.get(i), publish.payloads.get(i)));
                }
            }
        }
        return new ArrayList<>(known.values());
    }

    private void checkReader(Reader reader, List<Entry<String>> finalLog, List<Entry<String>> reference) {
        boolean lossy = sim.streamsWithLoss.contains(reader.stream);
        boolean resetsAllowed = lossy || trims();
        Map<EventId, Integer> position = new HashMap<>();
        for (int i = 0; i < reference.size(); i++) {
            position.put(reference.get(i).id(), i);
        }
        Set<String> seen = new HashSet<>();
        Entry<String> previous = null;
        boolean afterReset = false;
        if (reader.fromNow) {
            if (!reader.positioned) {
                problems.add(reader + " started from now and was never told where it stands");
                return;
            }
            if (reader.startedAfter != null) {
                Integer at = position.get(reader.startedAfter);
                if (at == null && !resetsAllowed) {
                    problems.add(reader + " was told it stands at " + reader.startedAfter + ", in no copy of the stream");
                    return;
                }
                // Its first event must follow that place, as a resumed reader's must follow its id.
                previous = at == null ? null : reference.get(at);
                afterReset = at == null;
            }
        }
        for (Entry<String> entry : reader.events) {
            if (entry == null) {
                if (!resetsAllowed) {
                    problems.add(reader + " got a reset in a stream that lost nothing: " + around(reader, "RESET")
                            + " from " + reader.received.subList(0, Math.min(reader.received.size(), 120)));
                    return;
                }
                previous = null;
                afterReset = true;
                continue;
            }
            if (!seen.add(entry.payload()) && !mayRepeat(entry.payload())) {
                problems.add(reader + " got " + entry.payload() + " twice: " + around(reader, entry.payload()));
                return;
            }
            Integer at = position.get(entry.id());
            if (at == null) {
                if (!lossy) {
                    problems.add(reader + " got " + entry.payload() + ", which is in no final copy: " + tail(reader));
                    return;
                }
            } else if (previous != null && position.containsKey(previous.id())
                    && position.get(previous.id()) != at - 1) {
                problems.add(reader + " got " + entry.payload() + " after " + previous.payload()
                        + " without a reset, not in the stream's order: " + around(reader, entry.payload())
                        + "; the stream has " + reference.subList(Math.max(0, at - 3), Math.min(reference.size(), at + 3))
                        + " and " + previous.payload() + " at " + position.get(previous.id()) + ", it at " + at);
                return;
            } else if (previous == null && !afterReset && at != 0 && !trims()) {
                problems.add(reader + " started at " + entry.payload() + " and missed what came before: "
                        + tail(reader));
                return;
            }
            previous = entry;
        }
        if (reader.node == null) {
            problems.add(reader + " is not connected at the end");
        } else if (!finalLog.isEmpty()) {
            Entry<String> last = finalLog.get(finalLog.size() - 1);
            if (reader.last == null || !reader.last.equals(last.id())) {
                problems.add(reader + " ended at " + reader.last + ", not at the stream's last event " + last.id()
                        + ": " + tail(reader));
            }
        }
    }
}
