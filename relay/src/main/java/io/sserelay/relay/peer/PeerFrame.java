package io.sserelay.relay.peer;

import io.sserelay.relay.stream.IdempotencyTag;
import io.sserelay.relay.stream.RemoteEvent;
import io.sserelay.relay.stream.StoppedOrigin;

import java.util.List;

/** A decoded peer frame. */
sealed interface PeerFrame {

    /**
     * {@code startedAt}: when the peer started, seconds since the epoch; 0 when it does not say.
     * {@code twoPhase}: the origin sends PENDING events and wants them acknowledged.
     */
    record Hello(String origin, long lastSeq, long startedAt, boolean twoPhase) implements PeerFrame {

        Hello(String origin, long lastSeq, long startedAt) {
            this(origin, lastSeq, startedAt, false);
        }
    }

    record EventFrame(RemoteEvent event) implements PeerFrame {
    }

    /** An event to hold until it is committed or aborted. */
    record Pending(RemoteEvent event) implements PeerFrame {
    }

    record Commit(long upTo) implements PeerFrame {
    }

    record Abort(long firstSeq, long lastSeq) implements PeerFrame {
    }

    record Key(long lastSeq, int count, IdempotencyTag tag) implements PeerFrame {
    }

    /** {@code stream} is null for any stream. */
    record Gap(String stream, long upTo) implements PeerFrame {
    }

    /** The peer's horizon, seconds since the epoch. */
    record Horizon(long horizon) implements PeerFrame {
    }

    record Heartbeat() implements PeerFrame {
    }

    /** Origins the peer knows and no longer follows. */
    record Stopped(List<StoppedOrigin> origins) implements PeerFrame {
    }

    /** The catch-up after HELLO is complete; the frames after it are live. */
    record CaughtUp() implements PeerFrame {
    }
}
