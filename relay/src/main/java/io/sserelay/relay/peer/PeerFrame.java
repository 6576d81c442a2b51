package io.sserelay.relay.peer;

import io.sserelay.relay.stream.RemoteEvent;

/** A decoded peer frame. */
sealed interface PeerFrame {

    /** {@code startedAt}: when the peer started, seconds since the epoch; 0 when it does not say. */
    record Hello(String origin, long lastSeq, long startedAt) implements PeerFrame {
    }

    record EventFrame(RemoteEvent event) implements PeerFrame {
    }

    /** {@code stream} is null for any stream. */
    record Gap(String stream, long upTo) implements PeerFrame {
    }

    /** The peer's horizon, seconds since the epoch. */
    record Horizon(long horizon) implements PeerFrame {
    }

    record Heartbeat() implements PeerFrame {
    }
}
