package io.sserelay.relay.replication;

import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.HeldBatch;
import io.sserelay.relay.stream.OriginCatchUp;
import io.sserelay.relay.stream.PeerSubscriber;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A follower that holds pending events and writes down what the hub tells it, as frame names. */
class RecordingFollower implements PeerSubscriber {

    final List<String> frames = new CopyOnWriteArrayList<>();

    @Override
    public boolean holdsPending() {
        return true;
    }

    @Override
    public void onCatchUp(OriginCatchUp catchUp) {
        frames.add("HELLO");
        catchUp.held().forEach(this::onHeld);
    }

    @Override
    public void onEvent(Event event) {
        frames.add("EVENT " + event.seq());
    }

    @Override
    public void onHeld(HeldBatch batch) {
        batch.events().forEach(e -> frames.add("PENDING " + e.seq()));
    }

    @Override
    public void onCommitted(long upTo) {
        frames.add("COMMIT " + upTo);
    }

    @Override
    public void onAborted(long firstSeq, long lastSeq) {
        frames.add("ABORT " + firstSeq + ".." + lastSeq);
    }

    @Override
    public void onHorizon(long horizon) {
        if (horizon > 0) {
            frames.add("HORIZON " + horizon);
        }
    }

    @Override
    public void onRelayClosing() {
        frames.add("CLOSING");
    }
}
