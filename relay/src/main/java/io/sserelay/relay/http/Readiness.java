package io.sserelay.relay.http;

import java.util.List;
import java.util.Locale;

/**
 * Whether a relay should get new traffic, as {@code /readyz} answers it, and if it is joining its
 * cluster, what it still waits for (docs/clustering.md#joining).
 */
public record Readiness(Status status, List<String> waitingFor) {

    /** Where a relay is in its life, as far as traffic goes. */
    public enum Status {
        /** Clustered, and not yet a member of the view with every handover in: no traffic yet. */
        JOINING,
        READY,
        /** Shutting down: no new traffic. */
        DRAINING;

        /** The word {@code /readyz} answers with. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final Readiness READY = new Readiness(Status.READY, List.of());
    public static final Readiness DRAINING = new Readiness(Status.DRAINING, List.of());

    public static Readiness joining(List<String> waitingFor) {
        return new Readiness(Status.JOINING, List.copyOf(waitingFor));
    }

    public boolean ready() {
        return status == Status.READY;
    }
}
