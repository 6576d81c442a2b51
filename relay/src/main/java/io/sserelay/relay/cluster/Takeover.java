package io.sserelay.relay.cluster;

import io.sserelay.relay.cluster.Message.Envelope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What a relay collects before it numbers streams it did not number in the view before. */
final class Takeover<P> {
    final long generation;
    final Set<String> awaited = new HashSet<>();
    final Set<String> heardFrom = new HashSet<>();
    final Map<String, Long> leavingUntil = new HashMap<>();
    /** For each stream, the copy each relay handed over (a resent handover replaces its earlier copy). */
    final Map<String, Map<String, StreamLog<P>>> copies = new HashMap<>();
    /** Publishes and questions for streams this relay will number once it has heard from everyone. */
    final List<Deferred> deferred = new ArrayList<>();

    /** A message put off until the takeover completes, and when it expires. */
    record Deferred(Envelope envelope, long deadline) {
    }

    /** @param leavingDeadlines until when to wait for each leaving relay of {@code view} */
    Takeover(View view, String self, Map<String, Long> leavingDeadlines) {
        generation = view.generation();
        for (String member : view.members()) {
            if (!member.equals(self)) {
                awaited.add(member);
            }
        }
        for (String leaving : view.leaving()) {
            if (!leaving.equals(self)) {
                awaited.add(leaving);
                leavingUntil.put(leaving, leavingDeadlines.get(leaving));
            }
        }
    }

    /** Takes over what an earlier takeover collected and deferred. */
    void inherit(Takeover<P> earlier) {
        earlier.copies.forEach((stream, bySender) -> copies.computeIfAbsent(stream, s -> new HashMap<>()).putAll(bySender));
        deferred.addAll(earlier.deferred);
    }

    void receive(String from, Map<String, StreamLog<P>> handed) {
        heardFrom.add(from);
        handed.forEach((stream, log) -> copies.computeIfAbsent(stream, s -> new HashMap<>()).put(from, log.copy()));
    }

    void expireLeaving(long now) {
        leavingUntil.entrySet().removeIf(leaving -> {
            if (leaving.getValue() <= now) {
                awaited.remove(leaving.getKey());
                return true;
            }
            return false;
        });
    }

    boolean complete() {
        return heardFrom.containsAll(awaited);
    }
}
