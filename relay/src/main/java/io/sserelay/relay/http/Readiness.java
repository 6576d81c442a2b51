package io.sserelay.relay.http;

import java.util.List;

/**
 * Whether a relay should get new traffic, as {@code /readyz} answers it: {@code ready};
 * {@code joining} its cluster, with what it still waits for; or {@code draining} on its way out.
 */
public record Readiness(String status, List<String> waitingFor) {

    public static final Readiness READY = new Readiness("ready", List.of());
    public static final Readiness DRAINING = new Readiness("draining", List.of());

    public static Readiness joining(List<String> waitingFor) {
        return new Readiness("joining", List.copyOf(waitingFor));
    }

    public boolean ready() {
        return this == READY || status.equals("ready");
    }
}
