package io.sserelay.relay.replication;

import io.sserelay.relay.stream.CatchUp;
import io.sserelay.relay.stream.Event;
import io.sserelay.relay.stream.Subscriber;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A subscriber that writes down the data of the events it is handed, and any gap. */
final class RecordingSubscriber implements Subscriber {

    final List<String> data = new CopyOnWriteArrayList<>();
    final List<String> gaps = new CopyOnWriteArrayList<>();

    @Override
    public void onCatchUp(CatchUp catchUp) {
        catchUp.replay().forEach(this::onEvent);
    }

    @Override
    public void onEvent(Event event) {
        data.add(new String(event.data(), StandardCharsets.UTF_8));
    }

    @Override
    public void onGap(List<String> streams) {
        gaps.addAll(streams);
    }

    @Override
    public void onRelayClosing() {
    }
}
