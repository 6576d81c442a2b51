package io.sserelay.relay.peer;

import io.sserelay.relay.stream.RemoteEvent;

/** A decoded peer frame. */
sealed interface PeerFrame {

    record Hello(String origin, long lastSeq) implements PeerFrame {
    }

    record EventFrame(RemoteEvent event) implements PeerFrame {
    }

    /** {@code stream} is null for any stream. */
    record Gap(String stream, long upTo) implements PeerFrame {
    }

    record Heartbeat() implements PeerFrame {
    }
}
