package io.sserelay.relay.cluster;

import java.util.List;
import java.util.TreeSet;

/**
 * One generation of the cluster's membership, as the operator publishes it: the relays that
 * serve ({@code members}) and the relays taken out in this generation that may still be running
 * ({@code leaving}, whose copies a new owner collects before it numbers their streams). The
 * generation only grows, so every relay can tell which of two views is newer, and a message
 * stamped with an older generation is fenced off. Immutable.
 */
public record View(long generation, List<String> members, List<String> leaving) {

    public View {
        if (generation < 1) {
            throw new IllegalArgumentException("a view's generation starts at 1: " + generation);
        }
        members = List.copyOf(new TreeSet<>(members));
        leaving = List.copyOf(new TreeSet<>(leaving));
        for (String node : leaving) {
            if (members.contains(node)) {
                throw new IllegalArgumentException(node + " is both a member and leaving");
            }
        }
    }

    public static View of(long generation, List<String> members) {
        return new View(generation, members, List.of());
    }

    public boolean isNewerThan(View other) {
        return other == null || generation > other.generation;
    }

    public boolean hasMember(String node) {
        return members.contains(node);
    }
}
